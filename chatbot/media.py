"""Photos sent on WhatsApp: downloaded from the Cloud API, cleaned like web uploads, kept privately.

A resident filing a reclamo in the chat may send a photo (an ``image`` message).
The flow downloads it with ``whatsapp_media_download`` (the Cloud API's two
calls: the media's URL from its id, then its bytes, both with the token),
cleans and keeps it with ``pending_photo_store`` until the case is filed
(``pending_photo_open`` hands it to ``participation.services.complaint_create``)
or abandoned (``pending_photo_delete``; ``pending_photos_purge`` removes what a
flow left behind).

Photos are held to the web form's rules: at most ``AYNI_ATTACHMENT_MAX_BYTES``
(refused from Meta's declared size before any byte is downloaded, and again
while the bytes arrive), only the image types the form accepts, and cleaned by
the same code (``participation.uploads.clean_upload``: content type by its
bytes, pixel limit from the header before decoding, orientation kept, metadata
stripped by re-encoding). They are stored in the complaint attachments' private
storage, under ``chat-pending/``, with a random name.

Each request is retried within the call when it probably did not reach Meta or
Meta asked to come back (network errors, HTTP 5xx and 429), like the replies
(``chatbot.whatsapp``): ``WHATSAPP_SEND_ATTEMPTS`` attempts, pausing
``WHATSAPP_SEND_BACKOFF_SECONDS`` (doubled each time); other 4xx are not.
Nothing about the media (its id, its URL) or the resident is logged.
"""

from __future__ import annotations

import logging
import posixpath
import random
import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The image types of the web form (participation.uploads.ALLOWED without PDF).
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
PENDING_DIR = "chat-pending"
_KEY = re.compile(rf"{PENDING_DIR}/[0-9a-f]{{32}}\.(?:jpg|png)")
_MEDIA_ID = re.compile(r"[0-9A-Za-z_.-]{1,128}")
MAX_PAUSE = 10.0  # seconds between two attempts, at most (Retry-After included)
_CHUNK = 64 * 1024


class MediaError(Exception):
    """A photo that cannot be used; ``message`` is a Spanish sentence for the resident.

    ``retryable``: Meta or the network failed (sending the photo again later may work).
    """

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class _Retry(Exception):
    """One attempt failed in a way worth another (reason: no user data)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


def _limit() -> int:
    return settings.AYNI_ATTACHMENT_MAX_BYTES


def _too_large() -> MediaError:
    return MediaError(
        _("La foto supera el tamaño máximo de %(mb)d MB. Envía una foto más pequeña.")
        % {"mb": _limit() // (1024 * 1024)}
    )


def _not_an_image() -> MediaError:
    return MediaError(_("Solo puedo recibir fotos en formato JPG o PNG. Envía el problema como foto, por favor."))


def _unavailable() -> MediaError:
    return MediaError(
        _("No pude descargar la foto. Intenta enviarla de nuevo en unos minutos o continúa sin foto."),
        retryable=True,
    )


def _api_version() -> str:
    """The Graph API version the replies use (pywa's, see ``chatbot.whatsapp``), e.g. ``v26.0``."""
    from pywa.utils import Version

    return f"v{Version.GRAPH_API.value}"


def _pause(attempt: int, retry_after: float | None) -> float:
    base = float(settings.WHATSAPP_SEND_BACKOFF_SECONDS)
    pause = base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
    if retry_after and base > 0:
        pause = max(pause, retry_after)
    return min(pause, MAX_PAUSE)


def _retried(call):
    """``call()``, attempted again after network errors, 5xx and 429 (``WHATSAPP_SEND_ATTEMPTS`` in all)."""
    import httpx

    attempts = max(1, int(settings.WHATSAPP_SEND_ATTEMPTS))
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (_Retry, httpx.TransportError) as exc:
            reason = str(exc) if isinstance(exc, _Retry) else type(exc).__name__
            if attempt == attempts:
                logger.warning("WhatsApp media download failed (%s) after %d attempts", reason, attempts)
                raise _unavailable() from exc
            logger.info("WhatsApp media download failed (%s), attempt %d of %d: retrying", reason, attempt, attempts)
            time.sleep(_pause(attempt, getattr(exc, "retry_after", None)))
    raise AssertionError("unreachable")


def _check_status(response) -> None:
    status = response.status_code
    if status >= 500 or status == 429:
        retry_after = response.headers.get("Retry-After", "").strip()
        raise _Retry(f"HTTP {status}", float(retry_after) if retry_after.isdigit() else None)
    if status != 200:
        logger.warning("WhatsApp media download refused (HTTP %d)", status)
        raise _unavailable_for_good()


def _unavailable_for_good() -> MediaError:
    """Meta refused (a bad token, an expired or unknown media id): trying again would fail the same way."""
    return MediaError(_("No pude descargar la foto. Envíala de nuevo, por favor, o continúa sin foto."))


def _media_info(client, media_id: str) -> dict:
    """The media's URL, type and size (the Cloud API's first call)."""
    url = f"{settings.WHATSAPP_API_BASE_URL}/{_api_version()}/{media_id}"

    def call() -> dict:
        response = client.get(url)
        _check_status(response)
        try:
            info = response.json()
        except ValueError:
            raise _Retry("not JSON") from None
        return info

    info = _retried(call)
    if not isinstance(info, dict):
        raise _unavailable_for_good()
    media_url = info.get("url")
    if not isinstance(media_url, str) or not media_url.startswith(("https://", "http://")) or len(media_url) > 4096:
        logger.warning("WhatsApp media download: Meta sent no usable URL")
        raise _unavailable_for_good()
    return info


def _media_bytes(client, url: str, limit: int) -> bytes:
    """The media's bytes (the second call), streamed and cut off past ``limit``."""

    def call() -> bytes:
        with client.stream("GET", url) as response:
            _check_status(response)
            declared = response.headers.get("Content-Length", "").strip()
            if declared.isdigit() and int(declared) > limit:
                raise _too_large()
            body = bytearray()
            for chunk in response.iter_bytes(_CHUNK):
                body += chunk
                if len(body) > limit:
                    raise _too_large()
            return bytes(body)

    return _retried(call)


def whatsapp_media_download(*, media_id: str) -> tuple[bytes, str]:
    """The bytes of a photo a resident sent and its content type (detected from the bytes).

    Raises MediaError (with a Spanish message for the resident) when the photo
    is larger than the web form allows (from Meta's declared size, before any
    byte is downloaded, or while streaming), is not a JPEG or PNG image, or
    cannot be downloaded (``retryable`` when Meta or the network failed).
    """
    import filetype
    import httpx

    if not isinstance(media_id, str) or not _MEDIA_ID.fullmatch(media_id):
        raise _unavailable_for_good()
    if not settings.WHATSAPP_TOKEN:
        raise _unavailable()
    limit = _limit()
    timeout = float(settings.WHATSAPP_API_TIMEOUT)
    headers = {"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"}
    with httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), headers=headers, follow_redirects=False
    ) as client:
        info = _media_info(client, media_id)
        declared_type = info.get("mime_type")
        if isinstance(declared_type, str) and declared_type.split(";")[0].strip().lower() not in IMAGE_TYPES:
            raise _not_an_image()
        size = info.get("file_size")
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if isinstance(size, int) and not isinstance(size, bool) and size > limit:
            raise _too_large()
        data = _media_bytes(client, info["url"], limit)
    if not data:
        raise _unavailable_for_good()
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime not in IMAGE_TYPES:
        raise _not_an_image()
    return data, mime


# --- the photos kept until the case is filed ----------------------------------------


def _storage():
    from participation.models.complaints import attachment_storage

    return attachment_storage()


def _checked_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("not a pending photo key")
    return key


def pending_photo_store(*, data: bytes, mime_type: str) -> str:
    """Clean a downloaded photo exactly like a web upload and keep it privately; its key.

    ``participation.uploads.clean_upload`` (the web form's cleaning) decides the
    type from the bytes, refuses too many pixels from the header before
    decoding, keeps the orientation and re-encodes without any metadata. Raises
    MediaError with its Spanish message when the photo is refused.
    """
    from participation.uploads import clean_upload

    if mime_type.split(";")[0].strip().lower() not in IMAGE_TYPES:
        raise _not_an_image()
    if len(data) > _limit():
        raise _too_large()
    try:
        clean = clean_upload(ContentFile(data, name="foto"), allowed=IMAGE_TYPES, limit=_limit())
    except ValidationError as exc:
        raise MediaError(" ".join(exc.messages)) from exc
    key = f"{PENDING_DIR}/{secrets.token_hex(16)}.{IMAGE_TYPES[clean.content_type]}"
    return _storage().save(key, clean.content)  # a random name: stored under exactly that key


def pending_photo_open(key: str) -> ContentFile:
    """A kept photo, as an upload for ``complaint_create(attachments=[...])`` (a named file with a size).

    Raises MediaError when it is gone (purged, or deleted by another run).
    """
    storage = _storage()
    try:
        with storage.open(_checked_key(key), "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise MediaError(_("La foto ya no está disponible. Envíala de nuevo, por favor.")) from exc
    return ContentFile(data, name=posixpath.basename(key))


def pending_photo_delete(key: str) -> None:
    """Delete a kept photo (a filed case keeps its own cleaned copy; a cancelled flow keeps none)."""
    _storage().delete(_checked_key(key))


def pending_photos_purge(*, older_than: timedelta) -> int:
    """Delete the kept photos stored more than ``older_than`` ago (flows left unfinished); how many."""
    storage = _storage()
    cutoff = timezone.now() - older_than
    try:
        _dirs, files = storage.listdir(PENDING_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    deleted = 0
    for name in files:
        key = f"{PENDING_DIR}/{name}"
        if not _KEY.fullmatch(key):
            continue
        try:
            if storage.get_modified_time(key) >= cutoff:
                continue
            storage.delete(key)
        except FileNotFoundError:
            continue  # deleted meanwhile (the case was filed)
        deleted += 1
    return deleted
