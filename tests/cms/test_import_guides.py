"""Guides from a spreadsheet: ``import_guides`` and the admin screen «Importar guías» (issue 10, item 3)."""

import csv
import io
from decimal import Decimal

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook
from wagtail.models import Page, Revision

from cms.demo.loader import DATA_DIR
from cms.models import GuideCategory, GuidePage, Office
from search.models import SearchDocument

pytestmark = pytest.mark.django_db

LAW = "ley-municipal-de-prueba-217"  # a regulation the imported guides cite
EXISTING = "ficha-de-prueba"  # a guide that exists before the import


@pytest.fixture(autouse=True)
def _law_and_existing_guide(regulation_page_factory, guide_page_factory):
    regulation_page_factory(slug=LAW)
    guide_page_factory(slug=EXISTING, title="Ficha médica de prueba")


def _guide(slug, **extra):
    data = {
        "slug": slug,
        "title": f"Trámite {slug}",
        "aliases": [f"alias de {slug}"],
        "category": "Servicios Funerarios",
        "summary": f"Resumen del trámite {slug}.",
        "requirements": ["Cédula de identidad", "Formulario de solicitud"],
        "cost": {"amount_bs": 25.5, "text": "Bs 25,50 por formulario"},
        "duration": {"business_days": 4, "text": "4 días hábiles"},
        "office": "Oficina de Cementerios",
        "online": False,
        "steps": ["Presentar los requisitos", "Recoger el certificado"],
        "legal_basis": [LAW],
        "tags": ["cementerio", "difuntos"],
    }
    data.update(extra)
    return data


def _yaml(tmp_path, items, name="catalogo.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"municipality": {"name": "X"}, "tramites": items}, allow_unicode=True))
    return path


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_guides", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _fails(path, *args):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_guides", str(path), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def _counts():
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "offices": Office.objects.count(),
        "categories": GuideCategory.objects.count(),
    }


TABLE_HEADER = [
    "slug",
    "title",
    "aliases",
    "category",
    "summary",
    "requirements",
    "cost_bs",
    "cost_text",
    "duration_days",
    "duration_text",
    "office",
    "online",
    "steps",
    "legal_basis",
    "tags",
]


def _table_row(slug, **extra):
    g = _guide(slug)
    row = {
        "slug": slug,
        "title": g["title"],
        "aliases": "\n".join(g["aliases"]),
        "category": g["category"],
        "summary": g["summary"],
        "requirements": "\n".join(g["requirements"]),
        "cost_bs": "25,50",
        "cost_text": g["cost"]["text"],
        "duration_days": "4",
        "duration_text": g["duration"]["text"],
        "office": g["office"],
        "online": "no",
        "steps": "\n".join(g["steps"]),
        "legal_basis": LAW,
        "tags": "cementerio, difuntos",
    }
    row.update(extra)
    return row


def _csv(tmp_path, rows, name="catalogo.csv", delimiter=";"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TABLE_HEADER, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _assert_imported(page, slug):
    assert page.title == f"Trámite {slug}"
    assert [r.text for r in page.requirements.all()] == ["Cédula de identidad", "Formulario de solicitud"]
    assert [s.text for s in page.steps.all()] == ["Presentar los requisitos", "Recoger el certificado"]
    assert [a.name for a in page.alternative_names.all()] == [f"alias de {slug}"]
    assert page.cost_amount == Decimal("25.50") and page.duration_days == 4
    assert page.office.name == "Oficina de Cementerios"
    assert page.category.name == "Servicios Funerarios"
    assert [lb.regulation.slug for lb in page.legal_basis.all()] == [LAW]
    assert sorted(t.name for t in page.tags.all()) == ["cementerio", "difuntos"]


# --- Command ----------------------------------------------------------------------


def test_yaml_import_creates_published_guides_offices_and_categories(tmp_path):
    assert not Office.objects.filter(name="Oficina de Cementerios").exists()
    out, _err = _run(_yaml(tmp_path, [_guide("nicho-temporal"), _guide("traslado-de-restos")]), "--publish")
    assert "creadas: 2" in out and "errores: 0" in out
    for slug in ("nicho-temporal", "traslado-de-restos"):
        page = GuidePage.objects.get(slug=slug)
        assert page.live and not page.has_unpublished_changes
        _assert_imported(page, slug)
    assert Office.objects.filter(name="Oficina de Cementerios").count() == 1
    assert GuideCategory.objects.filter(name="Servicios Funerarios").count() == 1


def test_csv_import_multiline_cells_as_drafts(tmp_path):
    out, _err = _run(_csv(tmp_path, [_table_row("nicho-temporal")]))
    assert "creadas: 1" in out
    page = GuidePage.objects.get(slug="nicho-temporal")
    assert not page.live
    _assert_imported(page.get_latest_revision_as_object(), "nicho-temporal")


def test_xlsx_import(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    # Spanish header names are accepted too.
    sheet.append(
        ["Slug", "Título", "Resumen", "Requisitos", "Oficina", "Costo (Bs)", "Plazo (días)", "En línea", "Etiquetas"]
    )
    sheet.append(
        [
            "pase-de-cementerio",
            "Pase de cementerio",
            "Autoriza el ingreso de un difunto al cementerio municipal.",
            "Cédula\nCertificado de defunción",
            "Oficina X",
            12.5,
            3,
            True,
            "a\nb",
        ]
    )
    path = tmp_path / "catalogo.xlsx"
    workbook.save(path)
    out, _err = _run(path, "--publish")
    assert "creadas: 1" in out
    page = GuidePage.objects.get(slug="pase-de-cementerio")
    assert page.live and page.title == "Pase de cementerio"
    assert [r.text for r in page.requirements.all()] == ["Cédula", "Certificado de defunción"]
    assert page.office.name == "Oficina X" and page.online is True
    assert page.cost_amount == Decimal("12.50") and page.duration_days == 3
    assert sorted(t.name for t in page.tags.all()) == ["a", "b"]


def test_existing_guide_gets_a_draft_revision_or_a_published_one(tmp_path):
    page = GuidePage.objects.get(slug=EXISTING)
    live_title = page.title
    revisions = page.revisions.count()
    item = _guide(EXISTING, title="Ficha médica en centros de salud municipales")
    _run(_yaml(tmp_path, [item]))  # draft
    page.refresh_from_db()
    assert page.title == live_title and page.has_unpublished_changes
    assert page.revisions.count() == revisions + 1
    assert page.get_latest_revision_as_object().title == "Ficha médica en centros de salud municipales"
    out, _err = _run(_yaml(tmp_path, [item]), "--publish")  # same content, now published: no new revision
    assert "actualizadas: 1" in out
    page.refresh_from_db()
    assert page.title == "Ficha médica en centros de salud municipales" and not page.has_unpublished_changes
    assert page.revisions.count() == revisions + 1


@pytest.mark.parametrize("publish", [["--publish"], []])
def test_same_file_twice_changes_nothing(tmp_path, publish):
    items = [_guide("nicho-temporal"), _guide(EXISTING, title="Otra ficha médica")]
    path = _yaml(tmp_path, items)
    out, _err = _run(path, *publish)
    assert "creadas: 1" in out and "actualizadas: 1" in out
    before = _counts()
    out, _err = _run(path, *publish)
    assert "creadas: 0 · actualizadas: 0 · sin cambios: 2" in out
    assert _counts() == before
    # The CSV of the same content is also a no-op.
    rows = [_table_row("nicho-temporal")]
    out, _err = _run(_csv(tmp_path, rows), *publish)
    assert "sin cambios: 1" in out
    assert _counts() == before


def test_demo_catalogue_imports_as_unchanged():
    before = _counts()
    out, _err = _run(DATA_DIR / "tramites.yaml", "--publish")
    assert "creadas: 0 · actualizadas: 0 · sin cambios: 17" in out
    assert _counts() == before


def test_invalid_file_changes_nothing_and_lists_every_error(tmp_path):
    rows = [
        _table_row("nicho-temporal"),  # valid, but must not be imported
        _table_row("sin-titulo", title="", cost_bs="gratis"),
        _table_row("nicho-temporal", duration_days="3,5"),
        _table_row("Mal Slug!", online="quizás"),
        _table_row("sin-requisitos", requirements="", office=""),
    ]
    before = _counts()
    err = _fails(_csv(tmp_path, rows), "--publish")
    assert _counts() == before
    assert not GuidePage.objects.filter(slug__in=["nicho-temporal", "sin-titulo", "sin-requisitos"]).exists()
    assert "fila 3, columna «title»: El título es obligatorio." in err
    assert "fila 3, columna «cost_bs»" in err
    assert "fila 4, columna «duration_days»" in err
    assert "fila 4, columna «slug»: Slug repetido (ya está en fila 2)." in err
    assert "fila 5, columna «slug»" in err and "fila 5, columna «online»" in err
    assert "fila 6, columna «requirements»: No se puede publicar una guía sin requisitos." in err
    assert "fila 6, columna «office»: No se puede publicar una guía sin oficina de atención." in err
    # As a draft the incomplete guide is fine; the other errors still block everything.
    err = _fails(_csv(tmp_path, rows))
    assert "sin requisitos" not in err and "fila 3, columna «title»" in err
    assert _counts() == before


def test_invalid_yaml_rows_name_their_line_and_field(tmp_path):
    before = _counts()
    err = _fails(_yaml(tmp_path, [_guide("nicho-temporal"), _guide("otro", cost={"amount_bs": -3}, color="rojo")]))
    assert (
        "trámite 2 (línea" in err and "columna «cost.amount_bs»" in err and "columna «color»: Campo desconocido." in err
    )
    assert _counts() == before


def test_unknown_legal_basis_is_a_warning(tmp_path):
    out, err = _run(_yaml(tmp_path, [_guide("nicho-temporal", legal_basis=[LAW, "ley-999-2099"])]), "--publish")
    assert "creadas: 1" in out
    assert "ley-999-2099" in err and "Normas desconocidas" in err
    page = GuidePage.objects.get(slug="nicho-temporal")
    assert [lb.regulation.slug for lb in page.legal_basis.all()] == [LAW]


def test_dry_run_writes_nothing(tmp_path):
    before = _counts()
    out, _err = _run(_yaml(tmp_path, [_guide("nicho-temporal")]), "--publish", "--dry-run")
    assert "crear: nicho-temporal" in out and "creadas: 1" in out
    assert _counts() == before


def test_search_refreshed_once_for_the_whole_import(tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    import search.signals

    calls = []
    original = search.signals._page_sync_on_commit

    def spy(page_id, *, descendants=False):
        calls.append((page_id, descendants))
        original(page_id, descendants=descendants)

    monkeypatch.setattr(search.signals, "_page_sync_on_commit", spy)
    items = [_guide(f"nicho-{n}") for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        _run(_yaml(tmp_path, items), "--publish")
    index = GuidePage.objects.get(slug="nicho-0").get_parent()
    assert calls == [(index.pk, True)]
    for n in range(4):
        page = GuidePage.objects.get(slug=f"nicho-{n}")
        assert SearchDocument.objects.filter(kind="guide", object_id=str(page.pk), title=page.title).exists()


# --- Admin screen ----------------------------------------------------------------


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.AYNI_GUIDE_IMPORT_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def _upload(client, content, name="catalogo.yaml", publish=True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content)}
    if publish:
        data["publish"] = "on"
    return client.post(reverse("cms_import_guides"), data)


def test_admin_upload_preview_confirm(client, admin_user, upload_dir, tmp_path):
    client.force_login(admin_user)
    response = client.get(reverse("wagtailadmin_home"))
    assert reverse("cms_import_guides") in response.content.decode()  # the menu item
    content = _yaml(tmp_path, [_guide("nicho-temporal"), _guide(EXISTING, title="Ficha nueva")]).read_bytes()
    before = _counts()
    response = _upload(client, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "nicho-temporal" in html and "crear" in html and "actualizar" in html
    assert _counts() == before  # the preview writes nothing
    stored = list(upload_dir.glob("*.upload"))
    assert len(stored) == 1
    token = stored[0].stem
    # A token that is not this session's is refused.
    response = client.post(reverse("cms_import_guides_confirm"), {"token": "0" * 32})
    assert response.status_code == 302 and _counts() == before
    response = client.post(reverse("cms_import_guides_confirm"), {"token": token})
    assert response.status_code == 302
    assert GuidePage.objects.get(slug="nicho-temporal").live
    assert GuidePage.objects.get(slug=EXISTING).title == "Ficha nueva"
    assert not list(upload_dir.glob("*.upload"))
    # The same file again: everything unchanged.
    response = _upload(client, content)
    assert "sin cambios" in response.content.decode() and "crear<" not in response.content.decode()


def test_admin_preview_lists_errors_and_offers_no_confirm(client, admin_user, upload_dir, tmp_path):
    client.force_login(admin_user)
    content = _yaml(tmp_path, [_guide("nicho-temporal"), _guide("otro", title="", requirements=[])]).read_bytes()
    response = _upload(client, content)
    html = response.content.decode()
    assert "El título es obligatorio." in html and "No se puede publicar una guía sin requisitos." in html
    assert reverse("cms_import_guides_confirm") not in html
    assert not list(upload_dir.glob("*.upload"))


def test_admin_rejects_other_formats_and_large_files(client, admin_user, upload_dir, settings):
    client.force_login(admin_user)
    response = _upload(client, b"MZ...", name="catalogo.exe")
    assert response.status_code == 400 and "Formato no admitido" in response.content.decode()
    settings.AYNI_GUIDE_IMPORT_MAX_BYTES = 10
    response = _upload(client, b"tramites: []\n" * 5)
    assert response.status_code == 400 and "tamaño máximo" in response.content.decode()


def test_admin_import_needs_permission_to_add_guides(client, django_user_model, upload_dir, tmp_path):
    editor = django_user_model.objects.create_user(username="lector", password="x")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    home = reverse("wagtailadmin_home")
    assert reverse("cms_import_guides") not in client.get(home).content.decode()
    # Wagtail's admin answers PermissionDenied with a redirect to the dashboard and a message.
    response = client.get(reverse("cms_import_guides"))
    assert response.status_code == 302 and response["Location"] == home
    before = _counts()
    response = _upload(client, _yaml(tmp_path, [_guide("nicho-temporal")]).read_bytes())
    assert response.status_code == 302 and response["Location"] == home
    assert not list(upload_dir.glob("*.upload"))
    response = client.post(reverse("cms_import_guides_confirm"), {"token": "0" * 32})
    assert response.status_code == 302 and response["Location"] == home
    assert _counts() == before
