"""Factories for the participation tests (the demo municipality is already loaded)."""

from __future__ import annotations

import contextlib
import io
import itertools
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from participation.models import District, MunicipalUnit, Profile, Proposal, ProposalCategory, UnitMembership
from participation.rules import MODERATORS, OFFICERS, TRANSPARENCY
from participation.services import role_groups_ensure

_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(
        *, verified: bool = True, groups: tuple[str, ...] = (), units: tuple[MunicipalUnit, ...] = (), name: str = ""
    ):
        n = next(_seq)
        email = f"persona{n}@ejemplo.bo"
        user = get_user_model().objects.create_user(username=email, email=email, password="clave-segura-123")
        Profile.objects.create(
            user=user, display_name=name or f"Persona {n}", email_verified_at=timezone.now() if verified else None
        )
        if groups:
            by_name = role_groups_ensure()
            user.groups.add(*(by_name[g] for g in groups))
        for unit in units:
            UnitMembership.objects.create(user=user, unit=unit)
        return user

    return make


@pytest.fixture
def make_resident(make_user):
    """An account whose identity an OpenID Connect provider proved (level "identity")."""

    def make(**kwargs):
        user = make_user(**kwargs)
        Profile.objects.filter(user=user).update(
            identity_provider="https://proveedor.ejemplo.bo",
            identity_sub=f"sub-{user.pk}",
            identity_verified_at=timezone.now(),
        )
        return get_user_model().objects.select_related("participation_profile").get(pk=user.pk)

    return make


@pytest.fixture
def unit_a(db):
    return MunicipalUnit.objects.get_or_create(
        slug="alumbrado-publico", defaults={"name": "Unidad de Alumbrado Público"}
    )[0]


@pytest.fixture
def unit_b(db):
    return MunicipalUnit.objects.get_or_create(slug="movilidad", defaults={"name": "Secretaría de Movilidad"})[0]


@pytest.fixture
def district(db):
    return District.objects.get_or_create(slug="distrito-1", defaults={"name": "Distrito 1"})[0]


@pytest.fixture
def officer_a(make_user, unit_a):
    return make_user(groups=(OFFICERS,), units=(unit_a,))


@pytest.fixture
def officer_b(make_user, unit_b):
    return make_user(groups=(OFFICERS,), units=(unit_b,))


@pytest.fixture
def transparency(make_user):
    return make_user(groups=(TRANSPARENCY,))


@pytest.fixture
def moderator(make_user):
    return make_user(groups=(MODERATORS,))


@pytest.fixture
def category(db):
    return ProposalCategory.objects.get_or_create(slug="movilidad", defaults={"name": "Movilidad"})[0]


@pytest.fixture
def make_proposal(make_user, category):
    def make(*, author=None, title: str = "Más árboles en la plaza principal", **fields):
        fields.setdefault("category", category)
        fields.setdefault("body", "Plantar cincuenta árboles nativos en la plaza principal del distrito.")
        return Proposal.objects.create(author=author or make_user(), title=title, **fields)

    return make


def build_pdf(objects: list[bytes], *, version: str = "1.4", info: int | None = None) -> bytes:
    """A complete PDF from its numbered objects (object 1 is the catalog), with a cross-reference table."""
    out = bytearray(f"%PDF-{version}\n".encode())
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    info_ref = f" /Info {info} 0 R" if info else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_bytes() -> bytes:
    """A small but complete PDF (one blank page, cross-reference table): uploads are parsed and rewritten."""
    return build_pdf(
        [
            b"<</Type/Catalog/Pages 2 0 R>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
        ]
    )


def png_bytes(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (16, 16), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "CamaraDeJuanPerez"  # Make
    exif[0x013B] = "Juan Perez"  # Artist
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def exe_bytes() -> bytes:
    # A minimal DOS/PE header: what a renamed executable starts with.
    return b"MZ" + b"\x90\x00" * 30 + b"\x00" * 0x3C + b"PE\x00\x00" + b"\x00" * 200


@pytest.fixture
def upload():
    def make(name: str, content: bytes, content_type: str = "application/octet-stream"):
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make


@pytest.fixture
def log_text():
    """Everything logged (any logger, DEBUG and up) while the block runs, as text."""

    @contextlib.contextmanager
    def capture():
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            yield buffer
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)

    return capture
