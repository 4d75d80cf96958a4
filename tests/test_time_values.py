"""Every ``<time>`` on the public pages carries a valid, unlocalized ``datetime``
(HTML's date or global date-and-time strings: at most three fraction digits, no
month names, the same in every language)."""

import datetime as dt
import re

import pytest

from cms.models import GuidePage, NewsPage, RegulationPage
from opendata.models import Dataset
from participation.models import Proposal
from tests.cms.factories import RegulationPageFactory, english
from tests.participation.factories import CaseWorkerFactory, CommentFactory, ComplaintFactory

pytestmark = pytest.mark.django_db

TIME_TAG = re.compile(r"<time\b[^>]*>", re.IGNORECASE)
DATETIME_ATTR = re.compile(r'\sdatetime="([^"]*)"')
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")  # the bot's figures list ISO weeks
GLOBAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})")


def _valid(value: str) -> bool:
    if DATE.fullmatch(value):
        dt.date.fromisoformat(value)
        return True
    if WEEK.fullmatch(value):
        return True
    if GLOBAL_DATETIME.fullmatch(value):
        dt.datetime.fromisoformat(value.replace(" ", "T"))
        return True
    return False


def _times(html: str) -> list[str]:
    values = []
    for tag in TIME_TAG.findall(html):
        match = DATETIME_ATTR.search(tag)
        assert match, f"<time> without datetime: {tag}"
        values.append(match.group(1))
    return values


def test_validator_rejects_what_the_html_checker_rejects():
    assert _valid("2025-W40") and not _valid("2025-W60") and not _valid("2025-40")
    assert _valid("2025-10-01") and _valid("2025-10-01T14:03:09-0400") and _valid("2025-10-01T14:03:09.123Z")
    for bad in ("2025-10-01T14:03:09.123456-04:00", "1 de octubre de 2025", "01/10/2025", "2025-10-01T14:03", ""):
        assert not _valid(bad), bad


def _complaint_tracked(client) -> str:
    from participation.services.complaints import complaint_reply

    complaint = ComplaintFactory()
    complaint_reply(complaint=complaint, actor=CaseWorkerFactory(units=[complaint.unit]), text="Vamos el lunes.")
    response = client.post("/participa/seguimiento/", {"codigo": complaint.code})
    assert response.status_code == 200
    return response.content.decode()


def test_every_time_on_the_main_pages_is_valid(client):
    repealed = RegulationPageFactory(
        status=RegulationPage.Status.REPEALED, status_date=dt.date(2025, 6, 30), status_by_citation="Ley N° 1"
    )
    proposal = Proposal.objects.order_by("pk").first()
    CommentFactory(proposal=proposal)
    dataset = Dataset.objects.filter(status=Dataset.Status.PUBLISHED).order_by("pk").first()
    urls = [
        "/",
        "/noticias/",
        NewsPage.objects.live().first().url,
        GuidePage.objects.live().first().url,
        "/normativa/",
        repealed.url,
        f"/datos/{dataset.slug}/",
        f"/participa/propuestas/{proposal.pk}/",
        "/asistente/cifras/",
        "/en/",
        english(repealed).url,
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    pages["tracking"] = _complaint_tracked(client)

    found = {url: _times(html) for url, html in pages.items()}
    invalid = {url: [v for v in values if not _valid(v)] for url, values in found.items()}
    assert not any(invalid.values()), invalid
    # Each page type above shows at least one date, so the check did run on each.
    empty = [url for url, values in found.items() if not values and url != "/asistente/cifras/"]
    assert not empty, empty
    assert "2025-06-30" in found[repealed.url]
