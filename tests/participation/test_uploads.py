import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from participation.uploads import clean_upload

from .conftest import exe_bytes, jpeg_with_exif, pdf_bytes, png_bytes


def test_pdf_and_png_are_accepted_under_random_names(upload):
    pdf = clean_upload(upload("mi-denuncia-juan-perez.pdf", pdf_bytes()))
    assert pdf.content_type == "application/pdf" and pdf.content.name.endswith(".pdf")
    assert "juan" not in pdf.content.name
    png = clean_upload(upload("foto.png", png_bytes()))
    assert png.content_type == "image/png"


def test_images_lose_their_exif_metadata(upload):
    original = jpeg_with_exif()
    assert b"Juan Perez" in original
    cleaned = clean_upload(upload("foto.jpg", original)).content.read()
    assert b"Juan Perez" not in cleaned and b"CamaraDeJuanPerez" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).format == "JPEG"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("factura.pdf", exe_bytes(), "no es de un tipo permitido"),
        ("foto.png", b"<html><script>alert(1)</script></html>", "no es de un tipo permitido"),
        ("foto.jpg", png_bytes()[:40], "dañada"),
        ("vacio.pdf", b"", "vacío"),
        ("roto.pdf", b"%PDF-1.4\n" + b"x" * 100, "dañado o incompleto"),
    ],
)
def test_disguised_or_broken_files_are_refused(upload, name, content, message):
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload(name, content))
    assert message in " ".join(exc.value.messages)


def test_oversized_files_are_refused(upload, settings):
    settings.AYNI_ATTACHMENT_MAX_BYTES = 1024
    big = pdf_bytes() + b"0" * 2048
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("grande.pdf", big))
    assert "supera el tamaño máximo" in exc.value.messages[0]
