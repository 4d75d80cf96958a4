"""Rasa's HTTP API runs behind --auth-token and the portal sends the token on every call."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx

from chatbot import rasa_client, runtime


def test_every_call_to_rasa_carries_the_token(settings, monkeypatch):
    settings.CHATBOT_RASA_ENABLED = True
    settings.RASA_URL = "http://rasa.test:5005"
    settings.RASA_AUTH_TOKEN = "s3cret-token"
    rasa_client.reset()
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST" and request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "saludo", "confidence": 0.9}, "entities": []})
        if request.method == "PUT" and request.url.path == "/model":
            return httpx.Response(204)
        return httpx.Response(404)

    monkeypatch.setattr(rasa_client, "_client", httpx.Client(transport=httpx.MockTransport(answer)))
    assert rasa_client.parse(text="hola")["intent"]["name"] == "saludo"
    rasa_client.load_model(model_path="/models/ayni.tar.gz")
    assert [(request.method, request.url.path) for request in seen] == [("POST", "/model/parse"), ("PUT", "/model")]
    assert all(request.url.params.get("token") == "s3cret-token" for request in seen)
    assert json.loads(seen[0].content) == {"text": "hola"}
    assert json.loads(seen[1].content) == {"model_file": "/models/ayni.tar.gz"}


def test_make_run_generates_a_private_token_once(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    monkeypatch.setattr(runtime, "VAR_DIR", tmp_path)
    monkeypatch.setattr(runtime, "AUTH_TOKEN_FILE", tmp_path / "rasa_auth_token")
    assert runtime.stored_auth_token() == ""
    token = runtime.rasa_auth_token()
    assert len(token) >= 32 and runtime.rasa_auth_token() == token == runtime.stored_auth_token()
    assert stat.S_IMODE(os.stat(tmp_path / "rasa_auth_token").st_mode) == 0o600
    command, _env, _cwd = runtime.rasa_command(model=Path("m.tar.gz"), port=5005)
    assert "--enable-api" in command and command[command.index("--auth-token") + 1] == token
    monkeypatch.setenv("RASA_AUTH_TOKEN", "from-env")
    command, _env, _cwd = runtime.rasa_command(model=Path("m.tar.gz"), port=5005)
    assert command[command.index("--auth-token") + 1] == "from-env"
