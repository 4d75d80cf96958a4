"""Staff see a case's photos inline (thumbnails through the permission-checked attachment view)."""

import re

import pytest
from django.urls import reverse

from participation import services

from .conftest import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def test_photos_show_as_thumbnails_only_to_staff_of_the_case(client, unit_a, officer_a, officer_b, upload):
    complaint, _ = services.complaint_create(
        kind="reclamo",
        unit=unit_a,
        subject="Bache frente a la escuela",
        description="Un bache profundo frente a la escuela, ya hubo dos accidentes.",
        attachments=[upload("bache.png", png_bytes((40, 30))), upload("nota.pdf", pdf_bytes())],
    )
    photo = complaint.attachments.get(content_type="image/png")
    document = complaint.attachments.get(content_type="application/pdf")
    photo_url = reverse("participation_admin:attachment", args=[complaint.pk, photo.pk])
    document_url = reverse("participation_admin:attachment", args=[complaint.pk, document.pk])
    detail = reverse("participation_admin:complaint", args=[complaint.pk])

    client.force_login(officer_a)
    page = client.get(detail).content.decode()
    images = re.findall(r"<img [^>]*>", page)
    thumbnails = [tag for tag in images if f'src="{photo_url}?ver=1"' in tag]
    assert len(thumbnails) == 1, images
    assert f'alt="Foto 1 del caso {complaint.code}' in thumbnails[0]
    assert f'<a href="{photo_url}?ver=1"' in page  # the full image on click
    assert not any(document_url in tag for tag in images)  # a PDF stays a download link
    assert "/media/" not in " ".join(images)  # never a public URL

    full = client.get(f"{photo_url}?ver=1")
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    assert full["Content-Disposition"].startswith("inline;") and full["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in full["Cache-Control"]
    assert b"".join(full.streaming_content).startswith(b"\x89PNG")
    assert client.get(photo_url)["Content-Disposition"].startswith("attachment;")
    assert client.get(f"{document_url}?ver=1")["Content-Disposition"].startswith("attachment;")  # PDFs never inline

    # Another unit's case worker: neither the page nor the image.
    client.force_login(officer_b)
    assert client.get(detail).status_code == 404
    assert client.get(f"{photo_url}?ver=1").status_code == 404
    client.logout()
    assert client.get(f"{photo_url}?ver=1").status_code in (302, 403, 404)
