"""chatbot/rules.py role by role: who reads the assistant's log of questions."""

import pytest
from django.contrib.auth.models import AnonymousUser

from chatbot.rules import can_view_chat_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_citizen_factory, staff_factory, superuser_factory):
    makers = {
        "anonymous": AnonymousUser,
        "citizen": verified_citizen_factory,
        "staff_without_permission": staff_factory,
        "log_reader": lambda: staff_factory(permissions=["chatbot.view_chatexchange"]),
        "inactive_log_reader": lambda: staff_factory(permissions=["chatbot.view_chatexchange"], is_active=False),
        "superuser": superuser_factory,
        "inactive_superuser": lambda: superuser_factory(is_active=False),
    }
    return lambda role: makers[role]()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("citizen", False),
        ("staff_without_permission", False),
        ("log_reader", True),
        ("inactive_log_reader", False),
        ("superuser", True),
        ("inactive_superuser", False),
    ],
)
def test_chat_log_by_role(person, role, allowed):
    assert can_view_chat_log(person(role)) is allowed
