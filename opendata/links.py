"""Permanent paths of datasets and downloads (always in the default language)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify


def _reverse(name: str, **kwargs) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(f"opendata:{name}", kwargs=kwargs)


def dataset_path(slug: str) -> str:
    return _reverse("dataset", slug=slug)


def dataset_jsonld_path(slug: str) -> str:
    """The dataset's DCAT IRI (JSON-LD by default, other formats by content negotiation)."""
    return _reverse("dataset_jsonld", slug=slug)


def catalogue_jsonld_path() -> str:
    return _reverse("catalogue_jsonld")


def dataset_dcat_path(slug: str, *, suffix: str) -> str:
    return _reverse("dataset_dcat", slug=slug, suffix=suffix)


def catalogue_dcat_path(*, suffix: str) -> str:
    return _reverse("catalogue_dcat", suffix=suffix)


def list_path() -> str:
    return _reverse("dataset_list")


def download_path(slug: str, resource: str, fmt: str, number: int | None = None) -> str:
    if number is None:
        return _reverse("download", slug=slug, resource=resource, fmt=fmt)
    return _reverse("download_version", slug=slug, resource=resource, number=number, fmt=fmt)


def absolute(path: str, request=None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def publisher_uri(name: str, request=None) -> str:
    """A stable IRI for a publishing unit, described in the DCAT catalogue (also sent to CKAN)."""
    return absolute(catalogue_jsonld_path(), request) + "#publicador-" + (slugify(name) or "portal")
