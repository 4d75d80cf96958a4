"""A thin layer over ckanapi that sorts CKAN failures into retry / do-not-retry."""

from __future__ import annotations

import ast

import ckanapi
import requests
from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "ayni-portal/1.0 (+ckanapi)"


class CkanError(Exception):
    """A CKAN call failed. ``transient``: worth retrying (5xx, timeout, no connection)."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status


def ckan_enabled() -> bool:
    return bool(settings.CKAN_URL)


class Ckan:
    def __init__(self, url: str | None = None, token: str | None = None, *, timeout: float | None = None):
        self.url = (url if url is not None else settings.CKAN_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.CKAN_TIMEOUT_SECONDS
        self.remote = ckanapi.RemoteCKAN(
            self.url, apikey=token if token is not None else settings.CKAN_API_TOKEN, user_agent=USER_AGENT
        )
        self.calls = 0

    def call(self, action: str, *, files: dict | None = None, **data):
        self.calls += 1
        try:
            return self.remote.call_action(
                action, data_dict=data, files=files, requests_kwargs={"timeout": self.timeout}
            )
        except ckanapi.ValidationError as exc:
            raise CkanError(
                _("CKAN rechazó los datos: %(detail)s") % {"detail": _describe(exc.error_dict)},
                transient=False,
                status=409,
            ) from exc
        except ckanapi.NotAuthorized as exc:
            raise CkanError(
                _("CKAN no autorizó la operación (revise CKAN_API_TOKEN): %(detail)s")
                % {"detail": _describe(getattr(exc, "extra_msg", "") or "")},
                transient=False,
                status=403,
            ) from exc
        except ckanapi.NotFound as exc:
            raise CkanError(
                _("CKAN no encontró %(what)s.") % {"what": getattr(exc, "extra_msg", None) or action},
                transient=False,
                status=404,
            ) from exc
        except ckanapi.SearchIndexError as exc:
            raise CkanError(
                _("CKAN falló al indexar: %(detail)s") % {"detail": exc}, transient=True, status=500
            ) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise CkanError(_("CKAN no responde (%(error)s).") % {"error": type(exc).__name__}, transient=True) from exc
        except ckanapi.CKANAPIError as exc:
            status, body = _status_of(exc)
            transient = status is None or status >= 500 or status == 429
            raise CkanError(
                _("CKAN respondió con error %(status)s: %(body)s") % {"status": status or "?", "body": body},
                transient=transient,
                status=status,
            ) from exc

    def __getattr__(self, action: str):
        return lambda files=None, **data: self.call(action, files=files, **data)


def is_not_found(exc: CkanError) -> bool:
    return exc.status == 404


def _describe(detail) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            if key == "__type":
                continue
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            parts.append(f"{key}: {value}")
        return " · ".join(parts) or str(detail)
    return str(detail)


def _status_of(exc: ckanapi.CKANAPIError) -> tuple[int | None, str]:
    """ckanapi packs unrecognised errors as ``repr([url, status, body])``."""
    raw = getattr(exc, "extra_msg", None) or (exc.args[0] if exc.args else "")
    try:
        _url, status, body = ast.literal_eval(raw)
        return int(status), str(body)[:300]
    except (ValueError, SyntaxError, TypeError):
        return None, str(raw)[:300]
