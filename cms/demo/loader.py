"""Creates the demo municipality from the YAML files in this folder.

Idempotent: what exists (matched by slug or name) is left as editors may have
changed it; only what is missing is created. Run twice, same counts.

English (``en/content.yaml``) is applied through wagtail-localize: each Spanish page
gets a translation source, its strings get English translations in the translation
memory and the English page is saved from them, so staff see it as a translation in
the admin and can sync it when the Spanish page changes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
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
from wagtail.models import Locale, Page, Site

from cms.models import (
    GuideCategory,
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
    from django.conf import settings

    content = read("content.yaml")["home"]
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = HomePage.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
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
    from django.conf import settings

    offices = {}
    originals = Office.objects.filter(locale__language_code=settings.LANGUAGE_CODE)  # not their translations
    for data in read("offices.yaml")["offices"]:
        office, created = originals.get_or_create(
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
    ensure_english(
        home,
        indexes={
            "guides": guide_index,
            "regulations": regulation_index,
            "transparency": transparency_index,
            "news": news_index,
        },
        report=report,
    )
    report("Listo.")


ENGLISH = "en"
_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)


def _pairs(spanish: dict, english: dict, fields: dict[str, str]) -> dict[str, dict[str, str]]:
    """``{segment field: {Spanish text: English text}}`` for one item of the YAML files.

    ``fields`` maps a segment's field (its path without the row's key: ``requirements.text``)
    to the item's key in both files; lists are paired item by item.
    """
    pairs: dict[str, dict[str, str]] = {}
    for field, key in fields.items():
        es, en = spanish.get(key), english.get(key)
        if es is None or en is None:
            continue
        if isinstance(es, dict):  # cost and duration: {amount_bs|business_days, text}
            es = es["text"]
        if isinstance(es, list):
            if len(es) != len(en):
                name = spanish.get("slug") or spanish.get("id")
                raise ValueError(f"en/content.yaml: {key} of {name} has {len(en)} items, not {len(es)}")
            pairs[field] = dict(zip(es, en, strict=True))
        elif field == "body":
            es_match, en_match = _PARAGRAPH.match(es.strip()), _PARAGRAPH.match(en.strip())
            pairs[field] = {es_match.group(1): en_match.group(1)} if es_match and en_match else {}
        else:
            pairs[field] = {str(es): str(en)}
    return pairs


def _segment_field(path: str) -> str:
    parts = path.split(".")
    return parts[0] if len(parts) == 1 else f"{parts[0]}.{parts[-1]}"


def _translate_page(page, pairs: dict[str, dict[str, str]], locale: Locale) -> bool:
    """Creates the English translation of ``page`` (or of a snippet) with wagtail-localize, unless it
    exists. True if created.

    The page's strings found in ``pairs`` get English translations (manual); any other string (a
    regulation's official text, the slug) keeps the Spanish source, as wagtail-localize's fallback does.
    A guide's category and office become their English translations where these exist (so the
    snippets are translated first).
    """
    from wagtail_localize.models import StringSegment, StringTranslation, Translation, TranslationSource
    from wagtail_localize.strings import StringValue

    if page.has_translation(locale):
        return False
    source, _created = TranslationSource.get_or_create_from_instance(page)
    translations = []
    for segment in StringSegment.objects.filter(source=source).select_related("string", "context"):
        spanish = StringValue(segment.string.data).render_text()
        english = pairs.get(_segment_field(segment.context.path), {}).get(spanish)
        if english is None:
            continue
        data = english if _segment_field(segment.context.path) == "body" else StringValue.from_plaintext(english).data
        translations.append(
            StringTranslation(
                translation_of_id=segment.string_id,
                locale=locale,
                context_id=segment.context_id,
                data=data,
                translation_type=StringTranslation.TRANSLATION_TYPE_MANUAL,
            )
        )
    StringTranslation.objects.bulk_create(translations, ignore_conflicts=True)
    Translation.objects.get_or_create(source=source, target_locale=locale)
    if not isinstance(page, Page):  # a snippet: saved as it is, no draft
        source.create_or_update_translation(locale, fallback=True)
        return True
    # Saved as a draft, then published here rather than on the transaction's commit (what
    # wagtail-localize's publish=True waits for), so the pages are live inside load_demo's transaction.
    translated, _created = source.create_or_update_translation(locale, publish=False, fallback=True)
    translated.get_latest_revision().publish()
    return True


PLAIN_FIELDS = {"title": "title", "slug": "slug", "summary": "summary"}
GUIDE_FIELDS = {
    **PLAIN_FIELDS,
    "summary": "summary",
    "cost_text": "cost",
    "duration_text": "duration",
    "requirements.text": "requirements",
    "steps.text": "steps",
    "alternative_names.name": "aliases",
}


def _english_items(english: dict, indexes: dict[str, Page]):
    """``(Spanish page, Spanish item, English item, fields)`` for every demo page below the indexes."""
    spanish = read("content.yaml")
    plain = PLAIN_FIELDS
    kinds = (
        ("guides", GuidePage, read("tramites.yaml")["tramites"], "slug", GUIDE_FIELDS),
        ("regulations", RegulationPage, read("normativa.yaml")["normativa"], "id", plain),
        ("transparency", TransparencyPage, spanish["transparency"], "slug", plain),
        ("news", NewsPage, spanish["news"], "slug", {**plain, "body": "body"}),
    )
    for key, model, items, slug_key, fields in kinds:
        for item in items:
            translated = english[key].get(item[slug_key])
            if translated is not None:
                yield _child(indexes[key], model, item[slug_key]), item, translated, fields


def ensure_english(home: HomePage, *, indexes: dict[str, Page], report: Report) -> int:
    """The demo's pages in English (``en/content.yaml``), as wagtail-localize translations; missing ones only.

    Parents first (home, indexes, then their pages), so each translation has its English parent.
    """
    english = read("en/content.yaml")
    spanish = read("content.yaml")
    locale, _created = Locale.objects.get_or_create(language_code=ENGLISH)
    ensure_english_snippets(english, locale, report=report)
    plain = PLAIN_FIELDS
    todo = [(home, spanish["home"], english["home"], plain)]
    todo += [(index, spanish["indexes"][key], english["indexes"][key], plain) for key, index in indexes.items()]
    todo += list(_english_items(english, indexes))
    created = 0
    for page, item, translated, fields in todo:
        if page is not None and _translate_page(page, _pairs({**item, "slug": page.slug}, translated, fields), locale):
            created += 1
    report(f"  páginas en inglés: {created} nuevas")
    relinked = english_guides_link_english_snippets(locale)
    if relinked:
        report(f"  guías en inglés enlazadas a su categoría y oficina en inglés: {relinked}")
    return created


def ensure_english_snippets(english: dict, locale: Locale, *, report: Report) -> int:
    """The demo's categories and offices in English (``categories``, ``offices`` and ``office_hours``
    of ``en/content.yaml``), as wagtail-localize translations; missing ones only.

    A category's translation keeps its slug; an office's keeps its address, phone, e-mail and
    coordinates (synchronised fields); a text without English stays Spanish (fallback).
    """
    from django.conf import settings

    created = 0
    categories = english.get("categories", {})
    originals = GuideCategory.objects.filter(locale__language_code=settings.LANGUAGE_CODE, name__in=list(categories))
    for category in originals.order_by("sort_order", "name"):
        item = categories[category.name]
        pairs = {"name": {category.name: item["name"]}}
        if category.description and item.get("description"):
            pairs["description"] = {category.description: item["description"]}
        created += _translate_page(category, pairs, locale)
    offices = english.get("offices", {})
    hours = {str(es): str(en) for es, en in english.get("office_hours", {}).items()}
    originals = Office.objects.filter(locale__language_code=settings.LANGUAGE_CODE, name__in=list(offices))
    for office in originals.order_by("name"):
        created += _translate_page(
            office, {"name": {office.name: offices[office.name]["name"]}, "hours": hours}, locale
        )
    report(f"  categorías y oficinas en inglés: {created} nuevas")
    return created


def english_guides_link_english_snippets(locale: Locale) -> int:
    """English guides that still point at a Spanish category or office (translated before these
    were translatable, or before their translation existed) point at the English one. Returns how many.

    The change is a new revision of the guide's latest version, published when the guide was live
    without unpublished changes (a pending draft stays a draft).
    """
    fixed = 0
    for page in GuidePage.objects.filter(locale=locale).select_related("category", "office"):
        pending = page.has_unpublished_changes  # (saving a revision sets it)
        draft = page.get_latest_revision_as_object() if pending else page
        changed = False
        for field in ("category", "office"):
            current = getattr(draft, field)
            if current is None or current.locale_id == locale.pk:
                continue
            translation = current.get_translation_or_none(locale)
            if translation is not None:
                setattr(draft, field, translation)
                changed = True
        if not changed:
            continue
        revision = draft.save_revision(clean=False)
        if page.live and not pending:
            revision.publish()
        fixed += 1
    return fixed
