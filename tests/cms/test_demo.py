import pytest
import yaml
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.models import Page, PageLogEntry, Revision

from cms.demo.loader import DATA_DIR
from cms.models import GuideCategory, GuidePage, NewsPage, Office, RegulationPage, TransparencyPage

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "log": PageLogEntry.objects.count(),
        "offices": Office.objects.count(),
        "categories": GuideCategory.objects.count(),
        "documents": get_document_model().objects.count(),
    }


def test_loader_is_idempotent():
    before = _counts()  # the session already loaded it once
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert _counts() == before


def test_demo_has_the_catalogue_slugs_and_fields():
    catalogue = yaml.safe_load((DATA_DIR / "tramites.yaml").read_text())["tramites"]
    spanish = GuidePage.objects.live().filter(locale__language_code="es")
    assert spanish.count() == len(catalogue) == 17
    for item in catalogue:
        page = spanish.get(slug=item["slug"])
        assert page.title == item["title"]
        assert [r.text for r in page.requirements.all()] == item["requirements"]
        assert [s.text for s in page.steps.all()] == item["steps"]
        assert [a.name for a in page.alternative_names.all()] == item["aliases"]
        assert page.office.name == item["office"]
        assert page.category.name == item["category"]
        assert page.online is item["online"]
        assert page.duration_days == item["duration"]["business_days"]
        assert float(page.cost_amount) == float(item["cost"]["amount_bs"])
        assert [lb.regulation.slug for lb in page.legal_basis.all()] == item["legal_basis"]
        assert sorted(t.name for t in page.tags.all()) == sorted(item["tags"])
    regulations = yaml.safe_load((DATA_DIR / "normativa.yaml").read_text())["normativa"]
    spanish_regulations = RegulationPage.objects.filter(locale__language_code="es")
    assert sorted(spanish_regulations.values_list("slug", flat=True)) == sorted(r["id"] for r in regulations)
    assert TransparencyPage.objects.count() >= 4
    assert NewsPage.objects.count() >= 3


def test_loader_does_not_overwrite_editor_changes():
    page = GuidePage.objects.get(slug="cita-medica")
    page.title = "Ficha médica en hospitales municipales"
    page.save_revision().publish()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert GuidePage.objects.get(slug="cita-medica").title == "Ficha médica en hospitales municipales"


def test_product_never_reads_shared_folder():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    for path in list(root.glob("*/**/*.py")):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        assert "../shared" not in path.read_text(errors="ignore"), path
