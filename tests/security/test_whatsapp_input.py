# ruff: noqa: F811  (pytest fixtures imported from tests.chatbot.conftest)
"""Signed but malformed WhatsApp deliveries never reach a 500 and never cost a good message its answer (issue 9).

Deliveries are shaped like the Cloud API's (``tests.chatbot.conftest``), signed
with the app secret; Meta's Graph API is mocked at the HTTP boundary (respx).
"""

from __future__ import annotations

import copy
import json
import logging

import pytest

from chatbot.models import WhatsAppMessage, WhatsAppStatus
from tests.chatbot.conftest import (  # noqa: F401  (fixtures)
    _rasa_down,
    graph,
    meta_message,
    meta_status,
    on_commit,
    post_webhook,
    sign,
    wa_settings,
)

pytestmark = pytest.mark.django_db

GOOD_SENDER = "59170000011"
BAD_SENDER = "59170000099"


def _post(client, on_commit, payload=None, **kwargs):
    with on_commit():
        return post_webhook(client, payload or {}, **kwargs)


def _bodies(route):
    return [json.loads(call.request.content) for call in route.calls]


def _set(payload: dict, path: tuple, value):
    """A copy of ``payload`` with the item at ``path`` replaced (or removed when value is ...)."""
    out = copy.deepcopy(payload)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    return out


VALUE = ("entry", 0, "changes", 0, "value")
MESSAGE = (*VALUE, "messages", 0)

# Every place where a signed delivery can hold the wrong type, with values of each wrong type.
MALFORMED = {
    "entry is a dict": (("entry",), {"id": "x"}),
    "entry is a string": (("entry",), "x"),
    "entry is null": (("entry",), None),
    "entry is a number": (("entry",), 7),
    "entry item is a string": (("entry", 0), "x"),
    "entry item is null": (("entry", 0), None),
    "changes is a dict": (("entry", 0, "changes"), {"field": "messages"}),
    "changes is a string": (("entry", 0, "changes"), "x"),
    "changes is a number": (("entry", 0, "changes"), 1.5),
    "change is a list": (("entry", 0, "changes", 0), []),
    "field is a dict": (("entry", 0, "changes", 0, "field"), {"a": 1}),
    "value is a string": (VALUE, "x"),
    "value is null": (VALUE, None),
    "value is a number": (VALUE, 3),
    "value is a list": (VALUE, [1]),
    "messages is a dict": ((*VALUE, "messages"), {"id": "wamid.X"}),
    "messages is a string": ((*VALUE, "messages"), "x"),
    "messages is a number": ((*VALUE, "messages"), 0),
    "message is a string": (MESSAGE, "x"),
    "message is null": (MESSAGE, None),
    "message is a number": (MESSAGE, 12),
    "message is a list": (MESSAGE, [{"id": "wamid.L"}]),
    "text is a dict without body": ((*MESSAGE, "text"), {"x": "y"}),
    "text is a string": ((*MESSAGE, "text"), "hola"),
    "text is null": ((*MESSAGE, "text"), None),
    "text is a number": ((*MESSAGE, "text"), 5),
    "text is missing": ((*MESSAGE, "text"), ...),
    "body is a dict": ((*MESSAGE, "text", "body"), {"a": "b"}),
    "body is a number": ((*MESSAGE, "text", "body"), 1e308),
    "body is null": ((*MESSAGE, "text", "body"), None),
    "from is a number": ((*MESSAGE, "from"), 59170000099),
    "from is null": ((*MESSAGE, "from"), None),
    "from is a dict": ((*MESSAGE, "from"), {"a": 1}),
    "from has a NUL": ((*MESSAGE, "from"), "5917\x000000099"),
    "from is too long": ((*MESSAGE, "from"), "5" * 100),
    "id is a dict": ((*MESSAGE, "id"), {"a": 1}),
    "id is a number": ((*MESSAGE, "id"), 99),
    "id is null": ((*MESSAGE, "id"), None),
    "id is empty": ((*MESSAGE, "id"), ""),
    "id has a NUL": ((*MESSAGE, "id"), "wamid.\x00X"),
    "id is too long": ((*MESSAGE, "id"), "w" * 5000),
    "type is a number": ((*MESSAGE, "type"), 1),
    "type is a dict": ((*MESSAGE, "type"), {"text": 1}),
    "timestamp is a dict": ((*MESSAGE, "timestamp"), {"a": 1}),
    "timestamp is huge": ((*MESSAGE, "timestamp"), 10**30),
}


def _good_and(bad_path: tuple, bad_value) -> dict:
    """A delivery whose second message is malformed and whose first is good."""
    good = meta_message(message_id="wamid.GOOD1", wa_id=GOOD_SENDER, text="cuanto cuesta el catastro")
    bad = meta_message(message_id="wamid.BAD1", wa_id=BAD_SENDER, text="hola")
    value = good["entry"][0]["changes"][0]["value"]
    value["messages"].append(bad["entry"][0]["changes"][0]["value"]["messages"][0])
    if bad_path[: len(MESSAGE)] == MESSAGE:  # aim at the second (bad) message
        bad_path = (*MESSAGE[:-1], 1, *bad_path[len(MESSAGE) :])
    return _set(good, bad_path, bad_value)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_deliveries_are_acknowledged_never_a_500(client, wa_settings, graph, on_commit, case):
    path, value = MALFORMED[case]
    payload = _set(meta_message(message_id="wamid.M1", wa_id=BAD_SENDER, text="hola"), path, value)
    response = _post(client, on_commit, payload)
    assert response.status_code == 200, response.content
    # Whatever was malformed got no answer; nothing half-stored.
    assert not [b for b in _bodies(graph) if b.get("to") == BAD_SENDER] or case.startswith("timestamp")


@pytest.mark.parametrize("case", sorted(k for k in MALFORMED if MALFORMED[k][0][: len(MESSAGE)] == MESSAGE))
def test_a_malformed_message_never_costs_a_good_one_its_answer(client, wa_settings, graph, on_commit, case):
    path, value = MALFORMED[case]
    response = _post(client, on_commit, _good_and(path, value))
    assert response.status_code == 200
    good = WhatsAppMessage.objects.get(message_id="wamid.GOOD1")
    assert good.status == WhatsAppMessage.Status.ANSWERED
    assert any(b["to"] == GOOD_SENDER and "Bs 120" in b["text"]["body"] for b in _bodies(graph) if "text" in b)


def test_a_good_message_stored_without_its_reply_is_answered_when_meta_retries(client, wa_settings, graph, on_commit):
    """What the old webhook left behind: stored as received, no task. Meta's retry must answer it, once."""
    payload = meta_message(message_id="wamid.LOST", wa_id=GOOD_SENDER, text="cuanto cuesta el catastro")
    WhatsAppMessage.objects.create(
        message_id="wamid.LOST", wa_id=GOOD_SENDER, kind="text", text="cuanto cuesta el catastro"
    )
    assert _post(client, on_commit, payload).status_code == 200
    assert WhatsAppMessage.objects.get(message_id="wamid.LOST").status == WhatsAppMessage.Status.ANSWERED
    sent = graph.call_count
    assert sent >= 1
    assert _post(client, on_commit, payload).status_code == 200
    assert graph.call_count == sent  # answered once
    assert WhatsAppMessage.objects.filter(message_id="wamid.LOST").count() == 1


def test_the_same_delivery_twice_stores_and_answers_each_message_once(client, wa_settings, graph, on_commit):
    payload = _good_and((*MESSAGE, "text"), "no es un objeto")
    second = meta_message(message_id="wamid.GOOD2", wa_id="59170000012", text="hola")
    payload["entry"][0]["changes"][0]["value"]["messages"].append(
        second["entry"][0]["changes"][0]["value"]["messages"][0]
    )
    _post(client, on_commit, payload)
    sent = graph.call_count
    _post(client, on_commit, payload)
    assert graph.call_count == sent
    assert set(WhatsAppMessage.objects.values_list("message_id", flat=True)) == {"wamid.GOOD1", "wamid.GOOD2"}


@pytest.mark.parametrize(
    "errors",
    [{"code": 1}, "x", 5, [None, "x", {"code": "x", "title": {"a": 1}}], [{"code": 131047, "title": "Re\x00engage"}]],
)
def test_malformed_statuses_are_recorded_safely_or_skipped(client, wa_settings, graph, errors):
    payload = meta_status(message_id="wamid.OUT1", status="failed")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = errors
    assert post_webhook(client, payload).status_code == 200
    status = WhatsAppStatus.objects.get(message_id="wamid.OUT1")
    assert "\x00" not in json.dumps(status.errors)
    for bad in ({"id": 5, "status": "read"}, {"id": "wamid.OUT2", "status": {"a": 1}}, "x", None):
        payload["entry"][0]["changes"][0]["value"]["statuses"] = [bad]
        assert post_webhook(client, payload).status_code == 200
    assert post_webhook(client, _set(payload, (*VALUE, "statuses"), "x")).status_code == 200
    assert WhatsAppStatus.objects.count() == 1


def test_nul_and_lone_surrogates_in_a_text_are_stored_safely_and_answered(client, wa_settings, graph, on_commit):
    payload = meta_message(message_id="wamid.NUL", wa_id=GOOD_SENDER, text="cuanto cuesta el catastro")
    body = json.dumps(payload).replace("el catastro", "el\\u0000 catastro\\ud800").encode()
    assert _post(client, on_commit, raw=body).status_code == 200
    message = WhatsAppMessage.objects.get(message_id="wamid.NUL")
    assert "\x00" not in message.text
    message.text.encode("utf-8")  # storable anywhere
    assert message.status == WhatsAppMessage.Status.ANSWERED
    assert graph.called


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"object": "whatsapp_business_account", "entry": NaN}',
        b"\xff\xfe\x00",
        b"",
        b"null",
        b'"texto"',
    ],
    ids=["10k nested lists", "10k nested in entry", "200 nested in entry", "NaN", "not UTF-8", "empty", "null", "str"],
)
def test_bodies_that_are_not_a_json_object_are_a_spanish_json_400(client, wa_settings, graph, raw):
    response = post_webhook(client, {}, raw=raw)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "JSON" in response.json()["detail"]
    assert not graph.called


@pytest.mark.parametrize(
    "signature",
    [
        "bare",  # the hex digest without "sha256="
        "upper-prefix",
        "sha1",
        "padded",
        "sha256=é" + "0" * 63,  # not ASCII: hmac.compare_digest would raise TypeError
    ],
)
def test_only_the_exact_sha256_signature_form_is_accepted(client, wa_settings, graph, signature):
    payload = meta_message(message_id="wamid.SIG", wa_id=GOOD_SENDER)
    body = json.dumps(payload).encode()
    good = sign(body)
    header = {
        "bare": good.removeprefix("sha256="),
        "upper-prefix": "SHA256=" + good.removeprefix("sha256="),
        "sha1": "sha1=" + good.removeprefix("sha256=")[:40],
        "padded": good + "00",
    }.get(signature, signature)
    response = post_webhook(client, payload, signature=header, raw=body)
    assert response.status_code in (401, 403)
    assert not WhatsAppMessage.objects.exists()
    assert post_webhook(client, payload, signature=good, raw=body).status_code == 200


def test_skipped_items_are_logged_without_number_text_or_message_id(client, wa_settings, graph, on_commit, caplog):
    payload = _good_and((*MESSAGE, "text"), "mi secreto RC-7K4MX-2Q9PA")
    with caplog.at_level(logging.DEBUG):
        assert _post(client, on_commit, payload).status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "malformed" in logged
    for private in (GOOD_SENDER, BAD_SENDER, "secreto", "RC-7K4MX", "wamid.", "catastro"):
        assert private not in logged


def test_a_reply_failure_is_logged_without_number_or_message_id(client, wa_settings, on_commit, respx_mock, caplog):
    import httpx

    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.post(url__regex=r"https://graph.facebook.com/.*/messages").mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad", "type": "OAuthException", "code": 190}})
    )
    with caplog.at_level(logging.DEBUG, logger="chatbot"):
        _post(client, on_commit, meta_message(message_id="wamid.HBgLNTkxNzAwMDAwMTE=", wa_id=GOOD_SENDER))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("chatbot"))
    assert "failed" in logged
    assert GOOD_SENDER not in logged and "wamid" not in logged
