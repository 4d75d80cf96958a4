"""The factories (tests/<app>/factories.py, registered as fixtures in tests/conftest.py) make valid,
servable objects where the portal puts them, independent of the demo content."""

import pytest

from participation.rules import MODERATORS, OFFICERS, TRANSPARENCY

pytestmark = pytest.mark.django_db


def test_pages_are_published_under_their_section_and_served(client, guide_page, regulation_page, news_page):
    assert guide_page.live and guide_page.get_parent().specific_class.__name__ == "GuideIndexPage"
    assert guide_page.requirements.count() == 2 and guide_page.office is not None
    assert regulation_page.get_parent().specific_class.__name__ == "RegulationIndexPage"
    assert news_page.get_parent().specific_class.__name__ == "NewsIndexPage"
    for page in (guide_page, regulation_page, news_page):
        assert client.get(page.url).status_code == 200


def test_a_draft_page_is_not_served(client, guide_page_factory):
    draft = guide_page_factory(live=False)
    assert not draft.live
    assert client.get(f"/tramites/{draft.slug}/").status_code == 404


def test_people_have_their_roles(citizen, verified_citizen, moderator, transparency_officer, case_worker, superuser):
    assert citizen.participation_profile.email_verified_at is None
    assert verified_citizen.participation_profile.email_verified
    assert list(moderator.groups.values_list("name", flat=True)) == [MODERATORS]
    assert list(transparency_officer.groups.values_list("name", flat=True)) == [TRANSPARENCY]
    assert list(case_worker.groups.values_list("name", flat=True)) == [OFFICERS]
    assert case_worker.unit_memberships.count() == 1
    assert superuser.is_superuser


def test_participation_records(proposal, support, comment, complaint, complaint_factory):
    assert proposal.author.participation_profile.email_verified
    assert support.proposal.support_count == support.proposal.supports.count() == 1
    assert comment.proposal_id and comment.author_id
    assert complaint.code.startswith("RC-") and complaint.due_date > complaint.received_on
    anonymous = complaint_factory(kind="denuncia", anonymous=True)
    assert anonymous.user is None and anonymous.code.startswith("DN-")


def test_open_data_records(resource_version, dataset_factory):
    assert resource_version.number == 1 and resource_version.row_count == 3
    assert resource_version.resource.dataset.is_published
    assert not dataset_factory(publish=False).is_published
