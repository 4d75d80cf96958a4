"""Public pages and downloads of the open-data app (thin: selectors and services do the work)."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opendata import links, metadata, selectors, services, vocab
from opendata.models import file_storage


@require_GET
def dataset_list(request):
    query = " ".join((request.GET.get("q") or "").split())[:200]
    tag = request.GET.get("etiqueta", "")[:100]
    theme = request.GET.get("tema", "")[:8]
    fmt = request.GET.get("formato", "")[:10].lower()
    datasets = selectors.dataset_list(query=query, tag=tag, theme=theme, fmt=fmt)
    page = Paginator(datasets, 20).get_page(request.GET.get("pagina"))
    context = {
        "datasets": page,
        "facets": selectors.dataset_facets(),
        "query": query,
        "selected": {"tag": tag, "theme": theme, "format": fmt},
        "dcat_links": _dcat_links(links.catalogue_dcat_path),
    }
    return TemplateResponse(request, "opendata/dataset_list.html", context)


DCAT_LABELS = {"jsonld": "JSON-LD", "ttl": "Turtle", "rdf": "RDF/XML"}


def _dcat_links(path, *args) -> list[dict]:
    """The DCAT metadata in each format: alternate links in <head> and download links on the page."""
    return [
        {"href": path(*args, suffix=suffix), "type": media_type, "label": DCAT_LABELS[suffix]}
        for suffix, (media_type, _rdflib) in metadata.RDF_FORMATS.items()
    ]


@require_GET
def dataset_detail(request, slug: str):
    dataset = selectors.dataset_get_visible(slug=slug, user=request.user)
    if dataset is None:
        raise Http404
    resources = []
    for resource in dataset.resources.all():
        item = {"resource": resource, "versions": [], "latest": None}
        latest = selectors.version_get(resource=resource)
        if latest is not None:
            columns, rows = selectors.version_preview(version=latest)
            item.update(
                latest=latest,
                versions=sorted(resource.versions.all(), key=lambda v: v.number, reverse=True),
                columns=columns,
                rows=rows,
                chart=selectors.chart_for(version=latest, columns=columns, rows=rows),
                # Columns written as 1.234,56 in the upload, shown and downloaded as plain numbers.
                bolivian=[column["name"] for column in latest.columns if column.get("notation")],
                downloads=[
                    (fmt.label, links.download_path(dataset.slug, resource.slug, fmt.extension))
                    for fmt in vocab.FORMATS.values()
                ],
            )
        resources.append(item)
    context = {
        "dataset": dataset,
        "resources": resources,
        "formats": list(vocab.FORMATS.values()),
        "schema_org": _script_json(metadata.schema_org_dataset(dataset, request=request)),
        "dcat_links": _dcat_links(links.dataset_dcat_path, dataset.slug),
        "preview_rows": selectors.PREVIEW_ROWS,
    }
    return TemplateResponse(request, "opendata/dataset_detail.html", context)


@require_GET
def download(request, slug: str, resource: str, fmt: str, number: int | None = None):
    """The only way to a dataset file: published datasets for everyone, drafts for dataset staff."""
    found = selectors.version_for_download(slug=slug, resource=resource, number=number, user=request.user)
    if found is None:
        raise Http404
    dataset, item, version = found
    path = services.resource_version_export(version=version, fmt=fmt)
    media_type = vocab.FORMATS[fmt].media_type + ("; charset=utf-8" if fmt in ("csv", "json") else "")
    filename = f"{dataset.slug}_{item.slug}_v{version.number}.{fmt}"
    response = _file_response(path, filename=filename, content_type=media_type)
    permalink = links.download_path(dataset.slug, item.slug, fmt, version.number)
    response["Link"] = f'<{request.build_absolute_uri(permalink)}>; rel="canonical"'
    response["ETag"] = f'"{version.sha256[:32]}-{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    if not dataset.is_published:
        response["Cache-Control"] = "private, no-store"  # a draft: no shared cache may keep it
    else:
        # A numbered version never changes; the unnumbered URL follows the latest upload.
        response["Cache-Control"] = "public, max-age=31536000, immutable" if number else "public, max-age=300"
    return response


def _file_response(path: str, *, filename: str, content_type: str) -> HttpResponse:
    """Stream the file from Django, or let the web server send it (``AYNI_SENDFILE``).

    ``x-accel-redirect``: nginx serves ``AYNI_SENDFILE_LOCATION + path`` from an
    ``internal`` location aliased to the private storage directory;
    ``x-sendfile``: Apache/lighttpd send the file at its absolute path.
    The checks above have run either way.
    """
    storage = file_storage()
    mode = (getattr(settings, "AYNI_SENDFILE", "") or "").lower()
    if mode in ("x-accel-redirect", "x-sendfile"):
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = settings.AYNI_SENDFILE_LOCATION.rstrip("/") + "/" + quote(path)
        else:
            response["X-Sendfile"] = storage.path(path)
        return response
    return FileResponse(storage.open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)


# application/json and */* (a browser, curl without -H) get JSON-LD, the first format.
NEGOTIABLE = [media_type for media_type, _rdflib in metadata.RDF_FORMATS.values()] + ["application/json"]


def _dcat_suffix(request, suffix: str) -> str | None:
    """The format to answer in: the suffix's, or for ``.jsonld`` (the DCAT IRIs) the one the Accept header prefers."""
    if suffix != "jsonld":
        return suffix if suffix in metadata.RDF_FORMATS else None
    preferred = request.get_preferred_type(NEGOTIABLE)
    if preferred is None:
        return None
    return next((key for key, (media_type, _r) in metadata.RDF_FORMATS.items() if media_type == preferred), "jsonld")


def _not_acceptable() -> HttpResponse:
    message = _(
        "Formato no disponible. Los metadatos DCAT-AP se publican en JSON-LD (.jsonld, application/ld+json), "
        "Turtle (.ttl, text/turtle) y RDF/XML (.rdf, application/rdf+xml)."
    )
    return HttpResponse(message, status=406, content_type="text/plain; charset=utf-8")


def _dcat_response(request, document: dict, suffix: str) -> HttpResponse:
    chosen = _dcat_suffix(request, suffix)
    if chosen is None:
        response = _not_acceptable()
    else:
        media_type = metadata.RDF_FORMATS[chosen][0]
        content_type = media_type if chosen == "jsonld" else f"{media_type}; charset=utf-8"
        response = HttpResponse(metadata.dcat_serialize(document, chosen), content_type=content_type)
    if suffix == "jsonld":
        patch_vary_headers(response, ["Accept"])
    return response


@require_GET
def dataset_dcat(request, slug: str, suffix: str = "jsonld"):
    dataset = selectors.dataset_get(slug=slug)
    if dataset is None:
        raise Http404
    return _dcat_response(request, metadata.dcat_dataset(dataset, request=request), suffix)


@require_GET
def catalogue_dcat(request, suffix: str = "jsonld"):
    return _dcat_response(request, metadata.dcat_catalogue(selectors.dataset_list(), request=request), suffix)


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308
