"""Creates the demo municipality from the YAML files in this folder.

Idempotent: what exists (matched by slug or name) is left as editors may have
changed it; only what is missing is created. Run twice, same counts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import yaml
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from cms.models import (
    GuideIndexPage,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    Office,
    PortalSettings,
    RegulationIndexPage,
    RegulationPage,
    TransparencyDocument,
    TransparencyIndexPage,
    TransparencyPage,
)
from cms.services import guide_category_ensure, guide_upsert

DATA_DIR = Path(__file__).resolve().parent

REGULATION_TYPES = {
    "Constitución": RegulationPage.RegulationType.CONSTITUTION,
    "Ley": RegulationPage.RegulationType.LAW,
    "Decreto Supremo": RegulationPage.RegulationType.SUPREME_DECREE,
    "Ley Municipal Autónoma": RegulationPage.RegulationType.MUNICIPAL_LAW,
    "Decreto Edil": RegulationPage.RegulationType.MAYORAL_DECREE,
}

Report = Callable[[str], None]


def read(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _child(parent: Page, model, slug: str):
    return model.objects.child_of(parent).filter(slug=slug).first()


def _wagtail_root() -> Page:
    """The tree's root and the default locale, as Wagtail's migrations create them.

    Missing only in a flushed database (transactional tests empty every table).
    """
    from django.conf import settings
    from wagtail.models import Collection, Locale

    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    return Page.add_root(instance=Page(title="Root", slug="root", draft_title="Root"))


def ensure_home(*, report: Report) -> HomePage:
    content = read("content.yaml")["home"]
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node() or _wagtail_root()
        home = _publish(root, HomePage(title=content["title"], slug="inicio", summary=content["summary"]))
        report("  página de inicio creada")
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Ayni")
    elif site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.save()
        # Wagtail's placeholder "Welcome" page is replaced by the portal's home.
        if old_root.specific_class is Page and old_root.depth == 2 and not old_root.get_children().exists():
            old_root.delete()
    return home


def ensure_index(home: HomePage, model, key: str, *, report: Report):
    data = read("content.yaml")["indexes"][key]
    page = _child(home, model, data["slug"])
    if page is None:
        page = _publish(home, model(title=data["title"], slug=data["slug"], summary=data["summary"]))
        report(f"  índice /{data['slug']}/ creado")
    return page


def ensure_offices(*, phone: str, hours: str, report: Report) -> dict[str, Office]:
    offices = {}
    for data in read("offices.yaml")["offices"]:
        office, created = Office.objects.get_or_create(
            name=data["name"],
            defaults={
                "address": data.get("address", ""),
                "hours": hours,
                "phone": phone,
                "latitude": Decimal(str(data["latitude"])) if "latitude" in data else None,
                "longitude": Decimal(str(data["longitude"])) if "longitude" in data else None,
            },
        )
        offices[office.name] = office
    report(f"  oficinas: {len(offices)}")
    return offices


def _regulation_html(data: dict) -> str:
    parts = []
    for section in data.get("text", []):
        parts.append(f"<h3>{escape(section['heading'])}</h3>")
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in section["paragraphs"])
    return "".join(parts)


def _latin1(text: str) -> str:
    """``text`` in the PDF core fonts' character set (dashes and quotes made plain)."""
    table = str.maketrans({"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")


def _regulation_pdf(page: RegulationPage, data: dict) -> bytes:
    """The demo norm as a PDF: its citation, dates and text, marked as a demo document."""
    from fpdf import FPDF

    kind = RegulationPage.TextKind(data.get("text_kind", RegulationPage.TextKind.SUMMARY))
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"{page.citation} - {page.title}"))
    pdf.set_creator("Ayni (demostración)")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(page.citation), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, _latin1(page.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, f"Fecha: {page.date:%d/%m/%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 5, _latin1(str(kind.label)), new_x="LMARGIN", new_y="NEXT")
    for section in data.get("text", []):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(section["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for paragraph in section["paragraphs"]:
            pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        4,
        "Documento generado para la demostración del portal Ayni; no es una publicación oficial. "
        "El texto oficial de la norma es el publicado en la Gaceta Oficial.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _regulation_document(page: RegulationPage, data: dict):
    Document = get_document_model()
    title = f"{page.citation}: {page.title} (demostración)"[:255]
    document = Document.objects.filter(title=title).first()
    if document is None:
        content = _regulation_pdf(page, data)
        document = Document(title=title, file_size=len(content))
        document.file.save(f"{data['id']}.pdf", ContentFile(content), save=False)
        document.save()
    return document


def _regulation_text(page: RegulationPage, data: dict) -> None:
    """Fills the demo norm's status, text and PDF on ``page`` (not saved)."""
    page.text_kind = data.get("text_kind", RegulationPage.TextKind.SUMMARY)
    page.body = _regulation_html(data)
    page.status = data.get("status", RegulationPage.Status.IN_FORCE)
    page.status_by_citation = data.get("status_by_citation", "")
    page.document = _regulation_document(page, data)


def ensure_regulations(index: RegulationIndexPage, *, report: Report) -> dict[str, RegulationPage]:
    regulations = {}
    created = completed = 0
    for data in read("normativa.yaml")["normativa"]:
        page = _child(index, RegulationPage, data["id"])
        if page is None:
            date = data["date"] if isinstance(data["date"], dt.date) else dt.date.fromisoformat(str(data["date"]))
            page = RegulationPage(
                title=data["title"],
                slug=data["id"],
                summary=data.get("summary", ""),
                reg_type=REGULATION_TYPES[data["type"]],
                number=str(data.get("number") or ""),
                date=date,
            )
            _regulation_text(page, data)
            page = _publish(index, page)
            created += 1
        elif not page.body and page.document_id is None:
            # Loaded before norms had a text: the text, the PDF and the status are filled once.
            _regulation_text(page, data)
            page.save_revision().publish()
            completed += 1
        regulations[data["id"]] = page
    report(f"  normas: {len(regulations)} ({created} nuevas, {completed} completadas con su texto)")
    return regulations


def _logo_png() -> bytes:
    """The demo municipality's emblem: a sun over two peaks, white and gold on a transparent ground."""
    from PIL import Image, ImageDraw

    size = 192
    emblem = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(emblem)
    draw.ellipse((6, 6, size - 6, size - 6), outline=(255, 255, 255, 255), width=10)
    draw.ellipse((70, 38, 122, 90), fill=(242, 169, 0, 255))
    draw.polygon([(28, 146), (78, 70), (116, 124), (138, 96), (170, 146)], fill=(255, 255, 255, 255))
    out = io.BytesIO()
    emblem.save(out, format="PNG")
    return out.getvalue()


def ensure_site_settings(municipality: dict, *, report: Report) -> PortalSettings:
    """The portal's details (name, logo, 800 line, hours, online platform), unless staff saved them already."""
    existing = PortalSettings.objects.first()
    if existing is not None:
        return existing
    logo = get_image_model().objects.create(
        title="Logotipo del municipio (demostración)",
        file=ImageFile(io.BytesIO(_logo_png()), name="logo-municipio.png"),
    )
    settings = PortalSettings.objects.create(
        name=municipality["name"],
        short_name=municipality.get("short_name", ""),
        logo=logo,
        phone=municipality["phone"],
        hours=municipality.get("hours", ""),
        online_platform_name=municipality.get("online_platform", ""),
        online_platform_url=municipality.get("online_platform_url", ""),
    )
    report(f"  datos del portal: {settings.name}, línea gratuita {settings.phone}")
    return settings


def ensure_guides(index: GuideIndexPage, *, offices, regulations, online_url: str, report: Report) -> int:
    """Create the catalogue's missing guides (published); existing ones are left as editors keep them.

    A guide done online links to the municipality's online platform (``online_url``).
    """
    from cms.importers import catalogue_row, validate_row

    catalogue = read("tramites.yaml")
    created = 0
    categories = set()
    for n, item in enumerate(catalogue["tramites"], start=1):
        row, problems = catalogue_row(item, f"tramites.yaml #{n}")
        row.values.setdefault("online_url", online_url if item.get("online") else "")
        data, row_problems = validate_row(row)
        if data is None or problems:
            problems += row_problems
            raise ValueError("; ".join(str(p) for p in problems))
        categories.add(data.category)
        guide_category_ensure(data.category)  # in catalogue order, whether or not the guide exists
        if _child(index, GuidePage, data.slug) is not None:
            continue
        guide_upsert(index=index, data=data, publish=True, regulations=regulations)
        created += 1
    report(f"  categorías: {len(categories)}; guías: {len(catalogue['tramites'])} ({created} nuevas)")
    return created


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF carrying ``title`` (demo documents)."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _document(title: str):
    Document = get_document_model()
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(title=title)
        document.file.save(f"{slugify(title)}.pdf", ContentFile(_pdf(title)), save=False)
        document.save()
    return document


def ensure_transparency(index: TransparencyIndexPage, *, report: Report) -> None:
    items = read("content.yaml")["transparency"]
    for data in items:
        if _child(index, TransparencyPage, data["slug"]) is not None:
            continue
        page = TransparencyPage(
            title=data["title"],
            slug=data["slug"],
            summary=data["summary"],
            category=data["category"],
            year=data["year"],
            documents=[
                TransparencyDocument(document=_document(title), sort_order=i)
                for i, title in enumerate(data["documents"])
            ],
        )
        _publish(index, page)
    report(f"  informes de transparencia: {len(items)}")


def ensure_news(index: NewsIndexPage, *, report: Report) -> None:
    items = read("content.yaml")["news"]
    for data in items:
        if _child(index, NewsPage, data["slug"]) is None:
            date = data["date"] if isinstance(data["date"], dt.date) else dt.date.fromisoformat(str(data["date"]))
            _publish(
                index,
                NewsPage(title=data["title"], slug=data["slug"], summary=data["summary"], date=date, body=data["body"]),
            )
    report(f"  noticias: {len(items)}")


@transaction.atomic
def load_demo(*, report: Report = lambda message: None) -> None:
    municipality = read("tramites.yaml")["municipality"]
    report("Cargando el municipio de demostración…")
    home = ensure_home(report=report)
    site_settings = ensure_site_settings(municipality, report=report)
    guide_index = ensure_index(home, GuideIndexPage, "guides", report=report)
    regulation_index = ensure_index(home, RegulationIndexPage, "regulations", report=report)
    transparency_index = ensure_index(home, TransparencyIndexPage, "transparency", report=report)
    news_index = ensure_index(home, NewsIndexPage, "news", report=report)
    offices = ensure_offices(phone=site_settings.phone, hours=site_settings.hours, report=report)
    regulations = ensure_regulations(regulation_index, report=report)
    online_url = site_settings.online_platform_url or municipality.get("online_platform_url", "")
    ensure_guides(guide_index, offices=offices, regulations=regulations, online_url=online_url, report=report)
    ensure_transparency(transparency_index, report=report)
    ensure_news(news_index, report=report)
    report("Listo.")
