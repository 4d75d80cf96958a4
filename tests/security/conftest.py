"""Shared fixtures of the security tests."""

import pytest


@pytest.fixture
def rasa_down(settings):
    """No Rasa server is reachable: the chat answers from the fallback, on the test's thread."""
    from tests.chatbot.conftest import _closed_port

    settings.CHATBOT_ANSWER_IN_POOL = False
    settings.RASA_URL = f"http://127.0.0.1:{_closed_port()}"
    settings.RASA_TIMEOUT = 1.0
    return settings
