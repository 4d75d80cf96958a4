"""Public pages and downloads of the open-data app (thin: selectors and services do the work)."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from opendata import links, metadata, selectors, services, vocab
from opendata.models import file_storage

JSONLD = "application/ld+json"


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
        "catalogue_jsonld": links.catalogue_jsonld_path(),
    }
    return TemplateResponse(request, "opendata/dataset_list.html", context)


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
        "jsonld_path": links.dataset_jsonld_path(dataset.slug),
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


@require_GET
def dataset_jsonld(request, slug: str):
    dataset = selectors.dataset_get(slug=slug)
    if dataset is None:
        raise Http404
    return JsonResponse(
        metadata.dcat_dataset(dataset, request=request), content_type=JSONLD, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def catalogue_jsonld(request):
    datasets = selectors.dataset_list()
    return JsonResponse(
        metadata.dcat_catalogue(datasets, request=request),
        content_type=JSONLD,
        json_dumps_params={"ensure_ascii": False},
    )


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308
