"""What a server process prepares before its first message (``ayni.warmup``), and what one answer reads.

The guides' fingerprint (count and last publication of live guides) is read once per answer; a
guide's facts built by one process are read from the shared cache by the others; the warm-up
builds the index and every live guide's facts, so a first answer builds nothing.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ayni import warmup
from chatbot import resolver, selectors, services
from cms.models import GuidePage

pytestmark = pytest.mark.django_db


def _fingerprint_reads(queries) -> int:
    return sum(1 for q in queries if "MAX(" in q["sql"].upper() and "last_published_at" in q["sql"])


def test_one_answer_reads_the_guides_fingerprint_once():
    services.chat_message_answer(sender="calentar", text="hola", channel="api")
    with CaptureQueriesContext(connection) as captured:
        answer = services.chat_message_answer(
            sender="vecina-1", text="q necesito pa sacar licencia de funcionamiento", channel="api"
        )
    assert answer["guide"]["slug"] == "licencia-de-funcionamiento"
    assert _fingerprint_reads(captured.captured_queries) == 1


def test_a_guide_built_by_another_process_is_read_from_the_shared_cache():
    slug = "licencia-de-funcionamiento"
    selectors._FACTS.clear()
    built = selectors.guide_facts(slug=slug)  # built here, kept in memory and in the shared cache
    selectors._FACTS.clear()  # another process: nothing in its memory, the shared cache has it
    with CaptureQueriesContext(connection) as captured:
        again = selectors.guide_facts(slug=slug)
    assert again == built
    assert len(captured.captured_queries) == 1  # the fingerprint only; the guide itself is not read


def test_a_publication_makes_every_process_build_the_facts_again():
    slug = "licencia-de-funcionamiento"
    before = selectors.guide_facts(slug=slug)
    page = GuidePage.objects.live().get(slug=slug)
    revision = page.save_revision()
    page.refresh_from_db()
    page.summary = "Resumen nuevo, publicado ahora."
    revision = page.save_revision()
    revision.publish()
    after = selectors.guide_facts(slug=slug)
    assert after["summary"] == "Resumen nuevo, publicado ahora." != before["summary"]


def test_the_warm_up_leaves_nothing_for_the_first_answer_to_build(settings):
    resolver.reset_index()
    selectors._FACTS.clear()
    cache.clear()
    assert "chatbot.answerer" in warmup.registered()
    took = warmup.run()
    assert "chatbot.answerer" in took
    # The bot's catalogue is the guides in the default language (translations are their own pages).
    live = list(GuidePage.objects.live().filter(locale__language_code="es").values_list("slug", flat=True))
    assert set(resolver.guide_index().entries) == set(live)
    with selectors.guide_fingerprint_once(), CaptureQueriesContext(connection) as captured:
        for slug in live:
            selectors.guide_facts(slug=slug)
    assert len(captured.captured_queries) == 1


def test_a_failing_warmer_is_skipped_and_the_others_run(caplog):
    ran = []
    warmup.register("test.broken", lambda: 1 / 0)
    warmup.register("test.fine", lambda: ran.append(True))
    try:
        took = warmup.run()
    finally:
        warmup._warmers.pop("test.broken", None)
        warmup._warmers.pop("test.fine", None)
    assert ran == [True]
    assert "test.fine" in took and "test.broken" not in took
    assert "test.broken" in caplog.text
