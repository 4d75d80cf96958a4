"""Limits that hold: one client key (the real address behind AYNI_TRUSTED_PROXIES),
never a header the client can vary; tracking lookups per client and per sender on
every channel; POST /api/chat/ per client.

Findings: every limit was keyed on IP + User-Agent (25 tracking lookups in a row
with a new User-Agent each, all 200); the leftmost X-Forwarded-For was trusted;
the chat fallback looked codes up with no limit; with Rasa up, every bot user
shared the action server's single bucket.
"""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from ayni.clients import chat_sender_key, client_address, client_key, key_for, login_client
from chatbot import services as chat_services
from participation.models import Complaint, MunicipalUnit
from participation.services import complaint_create

pytestmark = pytest.mark.django_db

_n = itertools.count(1)


def rotating(n: int) -> dict:
    """Headers a client can vary freely: a new User-Agent and X-Forwarded-For every time."""
    return {
        "HTTP_USER_AGENT": f"Mozilla/5.0 (variante {n})",
        "HTTP_X_FORWARDED_FOR": f"192.0.2.{n % 250}, 10.{n % 250}.0.1",
    }


@pytest.fixture(autouse=True)
def _chat_without_rasa(settings):
    settings.CHATBOT_RASA_ENABLED = False  # the fallback answers
    settings.CHATBOT_ANSWER_IN_POOL = False  # on the test's thread, inside its transaction


@pytest.fixture
def complaint(db):
    unit = MunicipalUnit.objects.get_or_create(slug="alumbrado-publico", defaults={"name": "Alumbrado Público"})[0]
    created, _new = complaint_create(
        kind="reclamo",
        unit=unit,
        subject="Poste sin luz",
        description="El poste de la esquina lleva una semana apagado.",
        client="",
    )
    return created


def _lookup(client, code, ip="198.51.100.1", **extra):
    return client.post(
        "/api/complaints/lookup/", {"code": code}, content_type="application/json", REMOTE_ADDR=ip, **extra
    )


def _limit(settings, scope: str, limit: int) -> None:
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, scope: (limit, 600)}


# --- ayni.clients.client_address --------------------------------------------------


@pytest.mark.parametrize(
    "remote,forwarded,trusted,expected",
    [
        ("198.51.100.7", "", 0, "198.51.100.7"),
        ("198.51.100.7", "1.2.3.4", 0, "198.51.100.7"),  # no trusted proxy: the header is the client's own text
        ("10.0.0.2", "1.2.3.4, 203.0.113.9", 1, "203.0.113.9"),  # the rightmost entry, written by our proxy
        ("10.0.0.2", "6.6.6.6, 1.2.3.4, 203.0.113.9", 1, "203.0.113.9"),  # spoofed entries on the left ignored
        ("10.0.0.3", "1.2.3.4, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),  # two proxies: second from the right
        ("10.0.0.3", "203.0.113.9", 2, "203.0.113.9"),  # fewer hops than proxies: the leftmost one there is
        ("10.0.0.2", "", 1, "10.0.0.2"),  # a proxy that sent no header: its own address
        ("10.0.0.2", " , ", 1, "10.0.0.2"),
        ("198.51.100.7:51234", "", 0, "198.51.100.7"),  # port suffix
        ("10.0.0.2", "1.2.3.4, 203.0.113.9:443", 1, "203.0.113.9"),
        ("10.0.0.2", "[2001:db8:1:2::99]:51234", 1, "2001:db8:1:2::/64"),  # bracketed IPv6 with a port
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "", 0, "2001:db8:1:2::/64"),  # IPv6: the /64
        ("[2001:db8:1:2::1]", "", 0, "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "", 0, "fe80::/64"),
        ("::ffff:198.51.100.7", "", 0, "198.51.100.7"),  # IPv4-mapped
        ("", "", 0, "unknown"),
    ],
)
def test_client_address(remote, forwarded, trusted, expected):
    assert client_address(remote_addr=remote, forwarded_for=forwarded, trusted_proxies=trusted) == expected


def test_ipv6_interface_rotation_and_ports_give_no_fresh_key(rf):
    keys = {
        client_key(rf.get("/", REMOTE_ADDR=address))
        for address in ("2001:db8:5:6::1", "2001:db8:5:6:ffff::2", "2001:db8:5:6:1234:5678:9abc:def0")
    }
    assert len(keys) == 1
    assert client_key(rf.get("/", REMOTE_ADDR="2001:db8:5:7::1")) not in keys  # another /64 is another client
    ports = {client_key(rf.get("/", REMOTE_ADDR=f"198.51.100.7:{port}")) for port in (1024, 51234, 65000)}
    assert len(ports) == 1


def test_client_key_ignores_user_agent_and_untrusted_forwarded_for(rf, settings):
    settings.AYNI_TRUSTED_PROXIES = 0
    keys = {client_key(rf.get("/", REMOTE_ADDR="198.51.100.7", **rotating(n))) for n in range(10)}
    assert len(keys) == 1
    # Keys are one-way: the address itself is nowhere in them.
    assert "198.51.100.7" not in keys.pop()
    assert "198.51.100.7" not in login_client(rf.get("/", REMOTE_ADDR="198.51.100.7"))


# --- rotating User-Agent / X-Forwarded-For never resets a limit ----------------------


def test_tracking_lookups_api_and_page(client, settings, complaint):
    _limit(settings, "tracking", 5)
    for n in range(5):
        assert _lookup(client, complaint.code, **rotating(n)).status_code == 200
    assert _lookup(client, complaint.code, **rotating(99)).status_code == 429
    # The tracking page shares the bucket.
    page = client.post(reverse("participation:tracking"), {"codigo": complaint.code}, REMOTE_ADDR="198.51.100.1")
    assert page.status_code == 429
    # Another client still has its own.
    assert _lookup(client, complaint.code, ip="198.51.100.2").status_code == 200


def test_guide_feedback(client, settings):
    from cms.models import GuidePage

    guide = GuidePage.objects.live().first()
    settings.AYNI_FEEDBACK_RATE = 3
    url = reverse("guide_feedback", args=[guide.pk])
    statuses = [
        client.post(url, {"helpful": "si"}, REMOTE_ADDR="198.51.100.3", **rotating(n)).status_code for n in range(4)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


def test_complaint_filing(client, settings):
    _limit(settings, "complaint", 3)

    def file(n):
        payload = {
            "kind": "reclamo",
            "unit": "alumbrado-publico",
            "subject": f"Poste apagado {n}",
            "description": "El poste de la esquina lleva una semana apagado.",
        }
        return client.post("/api/complaints/", payload, REMOTE_ADDR="198.51.100.4", **rotating(n))

    MunicipalUnit.objects.get_or_create(slug="alumbrado-publico", defaults={"name": "Alumbrado Público"})
    before = Complaint.objects.count()
    statuses = [file(n).status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert Complaint.objects.count() == before + 3


def test_registration(client, settings):
    _limit(settings, "register", 2)

    def register(n):
        data = {
            "email": f"vecina{next(_n)}@ejemplo.bo",
            "password1": "Llama-Andina-2025",
            "password2": "Llama-Andina-2025",
        }
        return client.post("/cuentas/registro/", data, REMOTE_ADDR="198.51.100.5", **rotating(n))

    assert [register(n).status_code for n in range(3)] == [201, 201, 429]


def test_chat_api_is_limited_per_client(client, settings):
    settings.AYNI_CHAT_RATE = (3, 60)

    def chat(n, ip="198.51.100.6"):
        return client.post(
            "/api/chat/",
            {"sender": f"s{n}", "text": "hola"},
            content_type="application/json",
            REMOTE_ADDR=ip,
            **rotating(n),
        )

    assert [chat(n).status_code for n in range(3)] == [200, 200, 200]
    limited = chat(3)
    assert limited.status_code == 429
    assert limited["Content-Type"].startswith("application/json") and "Demasiados mensajes" in limited.json()["detail"]
    assert chat(4, ip="198.51.100.60").status_code == 200


# --- behind a trusted proxy ------------------------------------------------------------


def test_behind_one_trusted_proxy_the_rightmost_entry_is_the_client(client, settings, complaint):
    settings.AYNI_TRUSTED_PROXIES = 1
    _limit(settings, "tracking", 3)
    proxy = "10.0.0.2"
    for n in range(3):  # one resident, whatever they put on the left
        forwarded = f"6.6.{n}.6, 203.0.113.10"
        assert _lookup(client, complaint.code, ip=proxy, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    spoofed = _lookup(client, complaint.code, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.99, 203.0.113.10")
    assert spoofed.status_code == 429
    # A second resident behind the same proxy has a bucket of their own.
    assert _lookup(client, complaint.code, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.11").status_code == 200


# --- tracking lookups through the chat: per client and per sender ---------------------


def _chat(client, text, *, sender, ip="198.51.100.8"):
    response = client.post(
        "/api/chat/", {"sender": sender, "text": text}, content_type="application/json", REMOTE_ADDR=ip
    )
    assert response.status_code == 200, response.content
    return " ".join(reply["text"] for reply in response.json()["replies"])


def test_chat_lookups_count_against_the_client(client, settings, complaint):
    _limit(settings, "tracking", 3)
    for n in range(3):  # a new conversation each time: the client's limit still holds
        assert complaint.code in _chat(client, f"estado de mi reclamo {complaint.code}", sender=f"conv-{n}")
    limited = _chat(client, f"estado de mi reclamo {complaint.code}", sender="conv-new")
    assert "demasiadas consultas" in limited.lower() and complaint.code not in limited
    # And the chat shares the bucket of the web lookups.
    assert _lookup(client, complaint.code, ip="198.51.100.8").status_code == 429


def test_chat_lookups_count_against_the_sender(client, settings, complaint):
    _limit(settings, "tracking", 3)
    for n in range(3):  # one conversation from ever new addresses
        text = _chat(client, f"mi reclamo {complaint.code}", sender="conv-x", ip=f"198.51.100.{100 + n}")
        assert complaint.code in text
    limited = _chat(client, f"mi reclamo {complaint.code}", sender="conv-x", ip="198.51.100.120")
    assert "demasiadas consultas" in limited.lower()


def test_whatsapp_lookups_count_against_the_number(settings, complaint):
    _limit(settings, "tracking", 2)

    def ask():
        answer = chat_services.chat_message_answer(
            sender="59170000077", text=f"estado {complaint.code}", channel="whatsapp"
        )
        return " ".join(reply["text"] for reply in answer["replies"])

    assert complaint.code in ask() and complaint.code in ask()
    assert "demasiadas consultas" in ask().lower()
    other = chat_services.chat_message_answer(sender="59170000078", text=f"estado {complaint.code}", channel="whatsapp")
    assert complaint.code in other["replies"][0]["text"]


def test_chat_sender_key():
    assert chat_sender_key("abc") == key_for("abc", namespace="chat-sender") != key_for("abc")
