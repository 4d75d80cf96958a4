"""Rasa's HTTP API runs behind --auth-token and the portal sends the token on every call."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from chatbot import rasa_client, runtime


def test_every_call_to_rasa_carries_the_token(settings, monkeypatch):
    settings.CHATBOT_RASA_ENABLED = True
    settings.RASA_URL = "http://rasa.test:5005"
    settings.RASA_AUTH_TOKEN = "s3cret-token"
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"latest_message": {"intent": {"name": "saludo", "confidence": 0.9}}})
        if request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "saludo"}})
        return httpx.Response(200, json=[{"text": "Hola"}])

    monkeypatch.setattr(rasa_client, "_client", httpx.Client(transport=httpx.MockTransport(answer)))
    assert rasa_client.rasa_converse(sender="abc", text="hola").intent == "saludo"
    rasa_client.rasa_parse(text="hola")
    assert len(seen) == 3
    assert all(request.url.params.get("token") == "s3cret-token" for request in seen)
    assert seen[1].url.params.get("include_events") == "NONE"


def test_make_run_generates_a_private_token_once(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    monkeypatch.setattr(runtime, "VAR_DIR", tmp_path)
    monkeypatch.setattr(runtime, "AUTH_TOKEN_FILE", tmp_path / "rasa_auth_token")
    assert runtime.stored_auth_token() == ""
    token = runtime.rasa_auth_token()
    assert len(token) >= 32 and runtime.rasa_auth_token() == token == runtime.stored_auth_token()
    assert stat.S_IMODE(os.stat(tmp_path / "rasa_auth_token").st_mode) == 0o600
    command, _env, _cwd = runtime.rasa_command(model=Path("m.tar.gz"), port=5005, actions_port=5055)
    assert "--enable-api" in command and command[command.index("--auth-token") + 1] == token
    monkeypatch.setenv("RASA_AUTH_TOKEN", "from-env")
    command, _env, _cwd = runtime.rasa_command(model=Path("m.tar.gz"), port=5005, actions_port=5055)
    assert command[command.index("--auth-token") + 1] == "from-env"
