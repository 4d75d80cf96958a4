"""Attachments are accepted by what they contain, never by their name.

PDF, JPEG and PNG only, detected from their first bytes; images are opened and
re-encoded (which drops EXIF data such as GPS position or camera serial) and
PDFs must start with the PDF signature and end with an EOF marker.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass
class CleanFile:
    content: ContentFile
    content_type: str
    size: int


def _read(upload, limit: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_("El archivo supera el tamaño máximo de %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("El archivo supera el tamaño máximo de %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    if not data:
        raise ValidationError(_("El archivo está vacío."))
    return data


def _reencode(data: bytes, fmt: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.width * image.height > 40_000_000:
                raise ValidationError(_("La imagen es demasiado grande."))
            out = io.BytesIO()
            if fmt == "JPEG":
                image.convert("RGB").save(out, format="JPEG", quality=90)
            else:
                image.save(out, format="PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("La imagen está dañada o no es una imagen válida.")) from exc


def clean_upload(upload, *, allowed: dict[str, str] | None = None, limit: int | None = None) -> CleanFile:
    allowed = allowed or ALLOWED
    limit = limit or settings.AYNI_ATTACHMENT_MAX_BYTES
    data = _read(upload, limit)
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime not in allowed:
        names = ", ".join(sorted(ext.upper() for ext in allowed.values()))
        raise ValidationError(
            _("El archivo no es de un tipo permitido (%(types)s). Se revisa su contenido, no su nombre.")
            % {"types": names}
        )
    if mime == "application/pdf":
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
            raise ValidationError(_("El PDF está dañado o incompleto."))
    else:
        data = _reencode(data, "JPEG" if mime == "image/jpeg" else "PNG")
    name = f"{uuid.uuid4().hex}.{allowed[mime]}"
    return CleanFile(content=ContentFile(data, name=name), content_type=mime, size=len(data))
