"""The bot's figures in public (issue 14, item 7): weekly aggregates, the page, the open dataset."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from ayni import schedule
from chatbot import selectors
from chatbot.models import ChatExchange
from chatbot.tasks import chat_figures_dataset
from opendata.models import Dataset, ResourceVersion

pytestmark = pytest.mark.django_db

# "Now" is Wednesday 2026-12-09 at noon (La Paz): the last complete week is 2026-W49 (Nov 30 – Dec 6).
NOW = timezone.make_aware(dt.datetime(2026, 12, 9, 12, 0))
W49 = timezone.make_aware(dt.datetime(2026, 12, 2, 10, 0))  # Wednesday of 2026-W49
W48 = W49 - dt.timedelta(weeks=1)


def log(when, *, sender="a", engine="rasa", intent="ask_requirements", guide="", answered=True, ms=100, text="hola"):
    exchange = ChatExchange.objects.create(
        sender_hash=f"hash-{sender}",
        channel="web",
        text=text,
        reply="respuesta secreta",
        intent=intent,
        guide_slug=guide,
        engine=engine,
        latency_ms=ms,
        answered=answered,
    )
    ChatExchange.objects.filter(pk=exchange.pk).update(created_at=when)  # created_at is auto_now_add


@pytest.fixture
def week49():
    """12 messages from 3 people in 2026-W49, one in the current week (not complete: not counted)."""
    for i in range(6):
        log(W49, sender="ana", guide="licencia-de-funcionamiento", ms=100 + i, text="Me llamo Ana Quispe")
    for i in range(3):
        log(W49, sender="beto", engine="fallback", guide="certificado-catastral", ms=300 + i)
    log(W49, sender="beto", engine="fallback", intent="nlu_fallback", answered=False, ms=50)
    log(W49, sender="carla", engine="button", intent="out_of_scope", ms=20)
    log(W49, sender="carla", intent="bot_challenge", ms=30)
    log(NOW - dt.timedelta(hours=1), sender="dora", guide="licencia-de-funcionamiento")


def test_weekly_aggregates(week49):
    weeks = selectors.chat_weekly_figures(now=NOW)
    assert len(weeks) == 12 and weeks[0]["week"] == "2026-W49" and weeks[1]["week"] == "2026-W48"
    assert weeks[0]["start"] == dt.date(2026, 11, 30) and weeks[0]["end"] == dt.date(2026, 12, 6)
    w = weeks[0]
    assert (w["conversations"], w["messages"]) == (3, 12)
    assert w["answered"] == round(11 / 12, 4)
    assert w["handed_off"] == 0.25  # nlu_fallback, out_of_scope, bot_challenge
    assert (w["rasa"], w["builtin"], w["button"]) == (round(7 / 12, 4), round(4 / 12, 4), round(1 / 12, 4))
    assert w["median_ms"] == 102  # sorted: 20 30 50 100…105 300 301 302 → (101 + 103) / 2
    assert weeks[1]["messages"] == 0 and weeks[1]["median_ms"] is None and weeks[1]["answered"] is None


def test_small_guide_counts_are_suppressed_and_nothing_personal_is_returned(week49, settings):
    settings.AYNI_OPENDATA_MIN_CELL = 5
    w = selectors.chat_weekly_figures(now=NOW)[0]
    # 6 questions about the licence are shown; 3 about the cadastral certificate are not.
    assert [(g["slug"], g["questions"]) for g in w["guides"]] == [("licencia-de-funcionamiento", 6)]
    settings.AYNI_OPENDATA_MIN_CELL = 3
    w = selectors.chat_weekly_figures(now=NOW)[0]
    assert [g["slug"] for g in w["guides"]] == ["licencia-de-funcionamiento", "certificado-catastral"]
    everything = repr(selectors.chat_weekly_figures(now=NOW)) + repr(selectors.chat_figures_tables(now=NOW))
    for private in ("hash-", "Ana Quispe", "hola", "respuesta secreta"):
        assert private not in everything


def test_public_page_in_spanish_and_english(client, week49, settings, monkeypatch, django_user_model):
    settings.AYNI_OPENDATA_MIN_CELL = 5
    cache.clear()
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    response = client.get("/asistente/cifras/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es-BO"' in html and "Cifras del asistente virtual" in html
    assert "<caption" in html and 'scope="col"' in html and '<time datetime="2026-W49">' in html
    assert f'<th scope="row">{title("licencia-de-funcionamiento")}</th><td>6</td>' in html
    assert title("certificado-catastral") not in html
    assert "92 %" in html  # answered 11 of 12
    assert "Cache-Control" in response.headers and "public" in response.headers["Cache-Control"]
    assert "hash-ana" not in html and "Ana Quispe" not in html
    assert 'href="/asistente/cifras/"' in html  # linked from the footer

    english = client.get("/en/asistente/cifras/")
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="en"' in html
    assert "Chatbot figures" in html and "Cifras del asistente virtual" not in html
    assert 'href="/en/asistente/cifras/"' in html

    client.force_login(django_user_model.objects.create_user("cifras-staff", "cifras@example.bo", "x"))
    assert "private" in client.get("/asistente/cifras/").headers["Cache-Control"]


def test_weekly_job_publishes_the_dataset_once_and_is_idempotent(week49, settings, monkeypatch):
    settings.AYNI_OPENDATA_MIN_CELL = 5
    assert any(job.name == "chatbot.figures_dataset" and job.every == dt.timedelta(days=7) for job in schedule.jobs())
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    chat_figures_dataset.enqueue()
    dataset = Dataset.objects.get(slug=selectors.FIGURES_DATASET_SLUG)
    assert dataset.is_published and dataset.frequency == "weekly" and dataset.title == "Cifras del asistente virtual"
    assert dataset.licence
    weeks = rows(dataset, "semanas")
    assert weeks[0] == selectors.FIGURES_WEEK_COLUMNS
    assert weeks[1:] == [
        ["2026-W49", "2026-11-30", "2026-12-06", "3", "12", "91.7", "25.0", "58.3", "33.3", "8.3", "102"]
    ]  # no empty weeks before the first message; the current week is not complete
    assert rows(dataset, "guias-mas-consultadas")[1:] == [
        ["2026-W49", "1", "licencia-de-funcionamiento", title("licencia-de-funcionamiento"), "6"]
    ]
    versions = ResourceVersion.objects.filter(resource__dataset=dataset).count()

    chat_figures_dataset.enqueue()  # the same week again: nothing new
    assert Dataset.objects.filter(slug=selectors.FIGURES_DATASET_SLUG).count() == 1
    assert ResourceVersion.objects.filter(resource__dataset=dataset).count() == versions

    # A week later: W50 is added, W49 is replaced (not duplicated), and survives the log's purge.
    log(W49, sender="dora", guide="licencia-de-funcionamiento")
    log(W49 + dt.timedelta(weeks=1), sender="eva")
    monkeypatch.setattr(timezone, "now", lambda: NOW + dt.timedelta(weeks=1))
    chat_figures_dataset.enqueue()
    assert [r[:5] for r in rows(dataset, "semanas")[1:]] == [
        ["2026-W49", "2026-11-30", "2026-12-06", "4", "13"],
        ["2026-W50", "2026-12-07", "2026-12-13", "2", "2"],  # dora (the fixture) and eva
    ]
    ChatExchange.objects.filter(created_at__lt=W49 + dt.timedelta(days=5)).delete()
    settings.CHATBOT_LOG_RETENTION_DAYS = 7  # W49 is no longer whole in the log: its rows are kept
    chat_figures_dataset.enqueue()
    assert [r[:5] for r in rows(dataset, "semanas")[1:]][0] == ["2026-W49", "2026-11-30", "2026-12-06", "4", "13"]
    assert rows(dataset, "guias-mas-consultadas")[1][4] == "7"


def title(slug: str) -> str:
    """The guide's title when the test database has it (the demo's guides), else its slug."""
    from cms.selectors import guide_titles

    return guide_titles(slugs=[slug]).get(slug, slug)


def rows(dataset, slug) -> list[list[str]]:
    from opendata import selectors as opendata_selectors

    resource = dataset.resources.get(slug=slug)
    version = opendata_selectors.version_get(resource=resource)
    from opendata.exports import read_table

    with version.table_file.open("rb") as handle:
        columns, body = read_table(handle)
        return [columns, *body]
