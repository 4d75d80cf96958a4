"""Kept uploads carry nothing private, and image bombs are refused from their header (issue 9)."""

from __future__ import annotations

import functools
import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter

from participation.models import Complaint, MunicipalUnit
from participation.uploads import clean_upload
from tests.participation.conftest import build_pdf

SECRET = "Juana Quispe Mamani"


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- PDF --------------------------------------------------------------------


def _pdf_with_metadata(pages: int = 1) -> bytes:
    """A PDF whose text reads "Prueba de denuncia", with an author everywhere a PDF can hold one."""
    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<dc:creator>{SECRET}</dc:creator><xmp:CreateDate>2024-03-05T10:11:12-04:00</xmp:CreateDate>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()
    text = b"BT /F1 18 Tf 20 100 Td (Prueba de denuncia) Tj ET"
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        b"<< /Type /Metadata /Subtype /XML /Length " + str(len(xmp)).encode() + b" >>\nstream\n" + xmp + b"\nendstream",
    ]
    font = 4 + 2 * pages
    annot = font + 1
    info = annot + 1
    for _ in range(pages):
        page_number = len(objects) + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents "
            + str(page_number + 1).encode()
            + b" 0 R /Resources << /Font << /F1 "
            + str(font).encode()
            + b" 0 R >> >> /Metadata 3 0 R /LastModified (D:20240305101112-04'00') /Annots ["
            + str(annot).encode()
            + b" 0 R] >>"
        )
        objects.append(b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(
        b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (Nota) /T ("
        + SECRET.encode()
        + b") /M (D:20240305101112-04'00') >>"
    )
    objects.append(
        b"<< /Author ("
        + SECRET.encode()
        + b") /Creator (Word de Juana) /Producer (Producer-Juana 1.0)"
        + b" /CreationDate (D:20240305101112-04'00') /ModDate (D:20240306101112-04'00') >>"
    )
    assert len(objects) == info
    return build_pdf(objects, version="1.7", info=info)


def test_a_kept_pdf_has_no_document_info_xmp_or_dates_and_stays_readable():
    original = _pdf_with_metadata(pages=2)
    assert SECRET.encode() in original and b"xmpmeta" in original and b"/CreationDate" in original
    assert PdfReader(io.BytesIO(original)).metadata.author == SECRET  # the fixture is a real PDF

    cleaned = clean_upload(_upload("denuncia.pdf", original))
    data = cleaned.content.read()

    assert cleaned.content_type == "application/pdf"
    for needle in (SECRET.encode(), b"Juana", b"xmpmeta", b"/Metadata", b"/Author", b"/Creator", b"/Producer"):
        assert needle not in data, needle
    for needle in (b"/CreationDate", b"/ModDate", b"/LastModified", b"D:2024", b"2024-03-05"):
        assert needle not in data, needle
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is None
    assert "/Metadata" not in reader.trailer["/Root"]
    assert len(reader.pages) == 2
    assert all("Prueba de denuncia" in page.extract_text() for page in reader.pages)


def test_encrypted_unparsable_and_overlong_pdfs_are_refused(settings):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="", owner_password="clave")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    with pytest.raises(ValidationError) as exc:
        clean_upload(_upload("cifrado.pdf", encrypted.getvalue()))
    assert "cifrado" in " ".join(exc.value.messages)

    broken = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 9 0 R>>endobj\n" + b"\x00garbage" * 50 + b"\n%%EOF\n"
    with pytest.raises(ValidationError) as exc:
        clean_upload(_upload("roto.pdf", broken))
    assert "dañado" in " ".join(exc.value.messages)

    settings.AYNI_PDF_MAX_PAGES = 2
    with pytest.raises(ValidationError) as exc:
        clean_upload(_upload("largo.pdf", _pdf_with_metadata(pages=3)))
    assert "demasiadas páginas" in " ".join(exc.value.messages)
    assert clean_upload(_upload("corto.pdf", _pdf_with_metadata(pages=2))).size > 0


# --- images -----------------------------------------------------------------

RED, BLUE = (220, 20, 20), (20, 20, 220)


def _photo_with_orientation_6() -> bytes:
    """40×20 stored (left red, right blue) with EXIF orientation 6, GPS, a comment, XMP and ICC."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x013B] = SECRET  # Artist
    exif[0x8825] = {1: "S", 2: (17.0, 23.0, 11.0), 3: "W", 4: (66.0, 9.0, 25.0)}  # GPS
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        quality=95,
        exif=exif,
        comment=f"Foto de {SECRET}".encode(),
        xmp=f"<x:xmpmeta><dc:creator>{SECRET}</dc:creator></x:xmpmeta>".encode(),
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return out.getvalue()


def _near(pixel, colour) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def test_a_kept_jpeg_has_no_exif_gps_comment_or_xmp_and_is_upright():
    original = _photo_with_orientation_6()
    assert b"Exif\x00\x00" in original and b"\xff\xfe" in original and SECRET.encode() in original
    assert Image.open(io.BytesIO(original)).size == (40, 20)

    data = clean_upload(_upload("foto.jpg", original)).content.read()

    assert b"Exif" not in data  # no APP1 EXIF (orientation, GPS, artist)
    assert b"\xff\xfe" not in data  # no COM marker (0xFF is always stuffed inside entropy-coded data)
    assert b"xmpmeta" not in data and b"http://ns.adobe.com/xap" not in data
    assert b"ICC_PROFILE" not in data
    assert SECRET.encode() not in data and b"Juana" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and not image.getexif()
    # Turned upright: 20 wide, 40 high, the stored left half (red) now on top.
    assert image.size == (20, 40)
    rgb = image.convert("RGB")
    assert _near(rgb.getpixel((10, 8)), RED) and _near(rgb.getpixel((10, 32)), BLUE)


def test_a_kept_png_has_no_text_chunks_exif_or_icc():
    info = PngInfo()
    info.add_text("Author", SECRET)
    info.add_text("Comment", f"Captura de {SECRET}", zip=True)
    info.add_itxt("Description", f"Descripción de {SECRET}", lang="es")
    exif = Image.Exif()
    exif[0x013B] = SECRET
    out = io.BytesIO()
    Image.new("RGBA", (12, 10), (10, 200, 10, 128)).save(
        out,
        format="PNG",
        pnginfo=info,
        exif=exif,
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    original = out.getvalue()
    assert b"tEXt" in original and b"zTXt" in original and b"iTXt" in original and b"eXIf" in original

    data = clean_upload(_upload("captura.png", original)).content.read()

    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in data, chunk
    assert SECRET.encode() not in data
    image = Image.open(io.BytesIO(data))
    assert image.size == (12, 10) and image.mode == "RGBA" and image.getpixel((3, 3))[3] == 128


def test_a_transparent_palette_png_keeps_its_transparency():
    image = Image.new("P", (6, 6), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (0, 0, 3, 6))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=0)
    data = clean_upload(_upload("icono.png", out.getvalue())).content.read()
    cleaned = Image.open(io.BytesIO(data)).convert("RGBA")
    assert cleaned.getpixel((1, 1)) == (0, 0, 255, 255) and cleaned.getpixel((5, 5))[3] == 0


# --- pixel bombs --------------------------------------------------------------


@functools.cache
def _png_bomb(width: int = 13000, height: int = 13000) -> bytes:
    """A valid grayscale PNG of width×height zero pixels: a few hundred KB on disk, ~170 MB decoded."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + one byte per pixel
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch):
    """Any attempt to decode pixels fails the test (``load`` of every Pillow image class)."""
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(self.size)
        raise AssertionError(f"pixels decoded for a {self.size} image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)
    return calls


def test_the_bomb_is_small_on_disk():
    bomb = _png_bomb()
    assert len(bomb) < 1024 * 1024
    assert bomb[12:16] == b"IHDR" and struct.unpack(">II", bomb[16:24]) == (13000, 13000)


def test_a_pixel_bomb_is_refused_from_its_header(no_decoding, settings):
    with pytest.raises(ValidationError) as exc:
        clean_upload(_upload("plano.png", _png_bomb()))
    assert "demasiado grande" in " ".join(exc.value.messages)
    assert no_decoding == []
    # Also one that Pillow itself refuses when opening (over twice its own limit).
    settings.AYNI_IMAGE_MAX_PIXELS = 10**9
    header_only = _png_bomb(20000, 20000)[:33] + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    with pytest.raises(ValidationError) as exc:
        clean_upload(_upload("plano.png", header_only))
    assert "demasiado grande" in " ".join(exc.value.messages)
    assert no_decoding == []


def test_the_pixel_limit_is_a_setting(settings):
    settings.AYNI_IMAGE_MAX_PIXELS = 100
    with pytest.raises(ValidationError):
        clean_upload(_upload("foto.jpg", _photo_with_orientation_6()))  # 800 pixels
    settings.AYNI_IMAGE_MAX_PIXELS = 800
    assert clean_upload(_upload("foto.jpg", _photo_with_orientation_6())).size > 0


@pytest.mark.django_db
def test_the_complaint_api_refuses_a_pixel_bomb_with_a_spanish_400(client, no_decoding):
    before = Complaint.objects.count()
    response = client.post(
        "/api/complaints/",
        {
            "kind": "denuncia",
            "unit": "tributaria",
            "subject": "Cobro sin recibo",
            "description": "Me cobraron 50 Bs sin recibo en la ventanilla de catastro.",
            "anonymous": "true",
            "attachments": _upload("plano.png", _png_bomb()),
        },
    )
    assert response.status_code == 400
    assert "demasiado grande" in str(response.json())
    assert no_decoding == [] and Complaint.objects.count() == before


@pytest.mark.django_db
def test_the_complaint_form_refuses_a_pixel_bomb_with_a_spanish_4xx(client, no_decoding):
    unit = MunicipalUnit.objects.get_or_create(slug="alumbrado-publico", defaults={"name": "Alumbrado Público"})[0]
    before = Complaint.objects.count()
    response = client.post(
        "/participa/reclamos/",
        {
            "kind": "reclamo",
            "unit": unit.pk,
            "subject": "Basura acumulada en la esquina",
            "description": "Desde hace una semana no recogen la basura en la esquina de mi casa.",
            "submission_token": "tok-" + "b" * 20,
            "attachments": [_upload("plano.png", _png_bomb())],
        },
    )
    assert 400 <= response.status_code < 500
    assert "demasiado grande" in response.content.decode()
    assert no_decoding == [] and Complaint.objects.count() == before


def test_wagtail_image_uploads_check_pixels_from_the_header(settings, no_decoding):
    from wagtail.images.fields import WagtailImageField

    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == settings.AYNI_IMAGE_MAX_PIXELS
    assert settings.AYNI_IMAGE_MAX_PIXELS < 6000 * 6000
    # 36 megapixels: over the portal's limit, under Wagtail's own default (128).
    with pytest.raises(ValidationError) as exc:
        WagtailImageField().clean(_upload("plano.png", _png_bomb(6000, 6000)))
    assert exc.value.code == "file_too_many_pixels"
    assert no_decoding == []
