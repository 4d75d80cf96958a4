"""A thin layer over ckanapi that sorts CKAN failures into retry / do-not-retry."""

from __future__ import annotations

import ast
import http.cookiejar
import threading

import ckanapi
import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

USER_AGENT = "ayni-portal/1.0 (+ckanapi)"


class CkanError(Exception):
    """A CKAN call failed. ``transient``: worth retrying (5xx, timeout, no connection)."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None, detail: dict | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.detail = detail or {}  # CKAN's validation errors by field, e.g. {"name": ["That URL is already in use."]}


def ckan_enabled() -> bool:
    return bool(settings.CKAN_URL)


def sync_workers() -> int:
    """How many datasets a sync sends to CKAN at once (``CKAN_SYNC_WORKERS``)."""
    return max(1, int(settings.CKAN_SYNC_WORKERS))


def http_session(*, connections: int) -> requests.Session:
    """One keep-alive session for every call of a sync, with a connection per sending thread.

    No cookies: every call authenticates with the API token (a CKAN session
    cookie would make CKAN demand a CSRF token), and the session holds no state
    that threads could race on.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(connections, 1))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return session


class Ckan:
    """CKAN's action API over one keep-alive HTTP session; safe to share between the threads of a sync."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | None = None,
        connections: int | None = None,
    ):
        self.url = (url if url is not None else settings.CKAN_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.CKAN_TIMEOUT_SECONDS
        self.session = http_session(connections=connections or sync_workers())
        self.remote = ckanapi.RemoteCKAN(
            self.url,
            apikey=token if token is not None else settings.CKAN_API_TOKEN,
            user_agent=USER_AGENT,
            session=self.session,
        )
        self.calls = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Ckan:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, action: str, *, files: dict | None = None, **data):
        with self._lock:
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
                detail=exc.error_dict if isinstance(exc.error_dict, dict) else None,
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
        if action.startswith("_"):
            raise AttributeError(action)
        return lambda files=None, **data: self.call(action, files=files, **data)


def is_not_found(exc: CkanError) -> bool:
    return exc.status == 404


def is_name_error(exc: CkanError) -> bool:
    """CKAN refused the package's name (typically: another package already uses it)."""
    return exc.status == 409 and "name" in exc.detail


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
