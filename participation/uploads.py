"""Attachments are accepted by what they contain, never by their name, and keep nothing private.

PDF, JPEG and PNG only, detected from their first bytes. Nothing is stored as
uploaded:

- images are refused from their header when they have more pixels than
  ``AYNI_IMAGE_MAX_PIXELS`` (before any pixel is decoded), then turned upright
  (EXIF orientation), converted to sRGB and re-encoded with no metadata at all:
  no EXIF (GPS position, camera serial, dates), no XMP, no JPEG comments, no PNG
  text chunks and no ICC profile (the colours are converted to sRGB instead,
  since a profile can name the device that made the photo);
- PDFs are parsed and rewritten page by page into a new document without the
  document information dictionary (author, creator, dates), without XMP
  metadata (document, page and image level), without annotation authors and
  dates and without scripts or actions; encrypted, unreadable or longer than
  ``AYNI_PDF_MAX_PAGES`` PDFs are refused.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

ALLOWED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

# What Pillow must recognise for each detected type (MPO is a multi-picture JPEG).
_PIL_FORMATS = {"image/jpeg": {"JPEG", "MPO"}, "image/png": {"PNG"}}


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


# --- images -----------------------------------------------------------------


def _too_many_pixels(max_pixels: int) -> ValidationError:
    return ValidationError(
        _("La imagen es demasiado grande: puede tener como máximo %(mp)s megapíxeles.")
        % {"mp": f"{max_pixels / 1_000_000:g}"}
    )


def _check_header(data: bytes, mime: str, max_pixels: int) -> None:
    """Refuse by the size the header declares; ``Image.open`` is lazy and decodes nothing."""
    with Image.open(io.BytesIO(data)) as image:
        if image.format not in _PIL_FORMATS[mime]:
            raise ValidationError(_("La imagen está dañada o no es una imagen válida."))
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ValidationError(_("La imagen está dañada o no es una imagen válida."))
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        # Structure check without decoding pixels (chunk checksums for PNG).
        image.verify()


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as they look with the embedded profile, so the profile itself can be dropped."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if "A" in image.getbands() else "RGB"
        return ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        logger.info("upload image: unusable ICC profile dropped without colour conversion")
        return image


def _reencode(data: bytes, mime: str) -> bytes:
    max_pixels = settings.AYNI_IMAGE_MAX_PIXELS
    try:
        _check_header(data, mime, max_pixels)
        with Image.open(io.BytesIO(data)) as image:
            if image.size[0] * image.size[1] > max_pixels:  # the same bytes, but never trust twice
                raise _too_many_pixels(max_pixels)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            clean = image
            if mime == "image/png" and ("transparency" in clean.info or clean.mode == "PA"):
                clean = clean.convert("RGBA")  # the tRNS entry lives in .info, which is dropped below
            elif clean.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                clean = clean.convert("RGB")
            clean = _to_srgb(clean)
            if mime == "image/jpeg" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            # Nothing of the original's metadata goes to the encoder: no EXIF, XMP,
            # comment, text chunk or ICC profile.
            clean.info = {}
            out = io.BytesIO()
            if mime == "image/jpeg":
                clean.save(out, format="JPEG", quality=90, comment=b"", exif=b"")
            else:
                clean.save(out, format="PNG")
            return out.getvalue()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(_("La imagen está dañada o no es una imagen válida.")) from exc


# --- PDF --------------------------------------------------------------------

# Keys that hold who made or changed a page or object, or run something when opened.
_PAGE_PRIVATE_KEYS = ("/Metadata", "/PieceInfo", "/LastModified", "/AA")
_ANNOTATION_PRIVATE_KEYS = ("/M", "/CreationDate", "/Metadata", "/AA")


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _scrub_resources(resources, seen: set[int]) -> None:
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return
    xobjects = _resolve(resources.get("/XObject"))
    if not isinstance(xobjects, DictionaryObject):
        return
    for ref in xobjects.values():
        xobject = _resolve(ref)
        if not isinstance(xobject, DictionaryObject) or id(xobject) in seen:
            continue
        seen.add(id(xobject))
        for key in ("/Metadata", "/PieceInfo", "/LastModified"):
            xobject.pop(NameObject(key), None)
        if xobject.get("/Subtype") == "/Form":
            _scrub_resources(xobject.get("/Resources"), seen)


def _scrub_page(page, seen: set[int]) -> None:
    for key in _PAGE_PRIVATE_KEYS:
        page.pop(NameObject(key), None)
    _scrub_resources(page.get("/Resources"), seen)
    annotations = _resolve(page.get("/Annots"))
    for ref in annotations or []:
        annotation = _resolve(ref)
        if not isinstance(annotation, DictionaryObject):
            continue
        for key in _ANNOTATION_PRIVATE_KEYS:
            annotation.pop(NameObject(key), None)
        if annotation.get("/Subtype") != "/Widget":
            annotation.pop(NameObject("/T"), None)  # the note's author (on widgets /T is the field name)
        if _is_script(annotation.get("/A")):
            annotation.pop(NameObject("/A"), None)


def _is_script(action) -> bool:
    action = _resolve(action)
    return isinstance(action, DictionaryObject) and action.get("/S") in ("/JavaScript", "/Launch", "/SubmitForm")


def _rewrite_pdf(data: bytes) -> bytes:
    broken = ValidationError(_("El PDF está dañado o incompleto."))
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise broken
    max_pages = settings.AYNI_PDF_MAX_PAGES
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(_("El PDF está protegido con contraseña o cifrado; sube una copia sin protección."))
        count = len(reader.pages)
        if count > max_pages:
            raise ValidationError(
                _("El PDF tiene demasiadas páginas (%(count)d); se aceptan hasta %(max)d.")
                % {"count": count, "max": max_pages}
            )
        writer = PdfWriter()
        seen: set[int] = set()
        for page in reader.pages:
            _scrub_page(page, seen)  # before copying, so nothing private is cloned into the writer
            writer.add_page(page)
        writer.metadata = None  # no /Info dictionary, not even pypdf's /Producer
        root = writer._root_object
        for key in ("/Metadata", "/PieceInfo", "/OpenAction", "/AA", "/Names"):
            root.pop(NameObject(key), None)
        # Only what the pages still reference is written.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except ValidationError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        logger.info("upload pdf refused: %s", type(exc).__name__)
        raise broken from exc


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
    data = _rewrite_pdf(data) if mime == "application/pdf" else _reencode(data, mime)
    name = f"{uuid.uuid4().hex}.{allowed[mime]}"
    return CleanFile(content=ContentFile(data, name=name), content_type=mime, size=len(data))
