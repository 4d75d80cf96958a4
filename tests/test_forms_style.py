"""One form style for every public form (issue 14, item 5), after the GOV.UK design system: a bound
form with errors starts with an error summary ("Hay un problema", role="alert") whose links point at
the fields with errors; each error sits under its field's label (before the input), with the input
marked aria-invalid and described by its error."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from participation.models import Proposal, ProposalCategory

pytestmark = pytest.mark.django_db


class FormPage(HTMLParser):
    """Collects the error summary's links and, for every element with an id, its tag, attributes and the
    order in which it appears (to check that an error comes after its label and before its input)."""

    def __init__(self):
        super().__init__()
        self.position = 0
        self.by_id: dict[str, tuple[int, str, dict]] = {}
        self.labels: dict[str, int] = {}  # for= -> position
        self.summary_depth = 0
        self.summary: dict | None = None
        self.summary_links: list[str] = []
        self.summary_title = ""
        self._in_title = False
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        self.position += 1
        attrs = dict(attrs)
        if tag not in {"input", "br", "img", "meta", "link", "hr"}:
            self._depth += 1
        if attrs.get("id"):
            self.by_id[attrs["id"]] = (self.position, tag, attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.setdefault(attrs["for"], self.position)
        if "data-error-summary" in attrs:
            self.summary = attrs
            self.summary_depth = self._depth
        if self.summary_depth and tag == "a":
            self.summary_links.append(attrs.get("href", ""))
        if self.summary_depth and tag == "h2":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_title = False
        if tag not in {"input", "br", "img", "meta", "link", "hr"}:
            if self.summary_depth and self._depth == self.summary_depth:
                self.summary_depth = 0
            self._depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.summary_title += data.strip()


def parse(response) -> FormPage:
    page = FormPage()
    page.feed(response.content.decode())
    return page


def assert_error_shown(page: FormPage, field_id: str, *, link: str | None = None, error_id: str | None = None):
    """The summary links to the field; the error sits under the label, before the input; the input is
    invalid and described by the error."""
    link = link or field_id
    error_id = error_id or f"{field_id}_error"
    assert f"#{link}" in page.summary_links, page.summary_links
    assert link in page.by_id, f"the summary links to #{link}, which is not on the page"
    assert error_id in page.by_id, f"no error element #{error_id}"
    error_at = page.by_id[error_id][0]
    input_at, _tag, attrs = page.by_id[field_id]
    label_at = None if attrs.get("type") == "radio" else page.labels.get(field_id)
    if label_at is not None:
        assert label_at < error_at < input_at, f"{field_id}: the error must be under the label and before the input"
    else:  # a group of radios: the error is before the first option
        assert error_at < input_at
    if attrs.get("type") not in {"radio", "checkbox"} or label_at is not None:
        assert attrs.get("aria-invalid") == "true"
        assert error_id in attrs.get("aria-describedby", "").split()


def assert_summary(page: FormPage, *, title: str = "Hay un problema"):
    assert page.summary is not None, "no error summary"
    assert page.summary.get("role") == "alert"
    assert page.summary.get("tabindex") == "-1"  # the static script moves the focus to it
    assert page.summary_title == title


def test_complaint_form_errors(client):
    response = client.post("/participa/reclamos/", {"kind": "", "subject": "", "contact_email": "no-es-correo"})
    assert response.status_code in (200, 400)
    page = parse(response)
    assert_summary(page)
    assert_error_shown(page, "id_subject")
    assert_error_shown(page, "id_description")
    assert_error_shown(page, "id_unit")
    assert_error_shown(page, "id_contact_email")
    # Radios: the summary links to the first option; the error is in the group's fieldset, before it.
    assert_error_shown(page, "id_kind_0", link="id_kind_0", error_id="id_kind_error")
    # Order of the summary follows the form.
    assert page.summary_links.index("#id_kind_0") < page.summary_links.index("#id_subject")


def test_complaint_form_marks_optional_fields_not_required_ones(client):
    html = client.get("/participa/reclamos/").content.decode()
    assert "(opcional)" in html
    assert "obligatorio)" not in html
    assert "Hay un problema" not in html  # no summary before the first try


def test_tracking_lookup_errors(client):
    page = parse(client.post("/participa/seguimiento/", {"codigo": ""}))
    assert_summary(page)
    assert_error_shown(page, "id_codigo")
    assert "id_codigo_helptext" in page.by_id["id_codigo"][2]["aria-describedby"].split()


def test_register_errors(client):
    response = client.post(
        "/cuentas/registro/", {"email": "mal", "password1": "una frase larga y fácil", "password2": "otra cosa"}
    )
    page = parse(response)
    assert_summary(page)
    assert_error_shown(page, "id_email")
    assert_error_shown(page, "id_password2")


def test_login_errors(client):
    page = parse(client.post("/cuentas/ingresar/", {"username": "", "password": ""}))
    assert_summary(page)
    assert_error_shown(page, "id_username")
    assert_error_shown(page, "id_password")


def test_password_reset_errors(client):
    page = parse(client.post("/cuentas/contrasena/olvide/", {"email": "no-es-correo"}))
    assert_summary(page)
    assert_error_shown(page, "id_email")


def test_profile_errors(client, citizen):
    client.force_login(citizen)
    page = parse(client.post("/cuentas/perfil/", {"display_name": "x" * 200, "district": "999999"}))
    assert_summary(page)
    assert_error_shown(page, "id_display_name")
    assert_error_shown(page, "id_district")


def test_proposal_form_errors(client, verified_citizen):
    client.force_login(verified_citizen)
    page = parse(client.post("/participa/propuestas/nueva/", {"title": "", "body": ""}))
    assert_summary(page)
    assert_error_shown(page, "id_title")
    assert_error_shown(page, "id_body")
    assert_error_shown(page, "id_category")


def test_comment_form_errors(client, verified_citizen, citizen):
    category = ProposalCategory.objects.get_or_create(slug="movilidad", defaults={"name": "Movilidad"})[0]
    proposal = Proposal.objects.create(
        author=citizen, title="Más árboles en la plaza", body="Plantar árboles nativos.", category=category
    )
    client.force_login(verified_citizen)
    response = client.post(f"/participa/propuestas/{proposal.pk}/comentar/", {"body": ""})
    page = parse(response)
    assert_summary(page)
    assert_error_shown(page, "id_body")


def test_guide_feedback_errors(client, guide_page):
    response = client.post(f"/tramites-opinion/{guide_page.pk}/", {"comment": "x" * 1001})
    page = parse(response)
    assert response.status_code == 400
    assert_summary(page)
    assert "#util-si" in page.summary_links
    assert "#comentario" in page.summary_links
    assert_error_shown(page, "comentario", error_id="comment-error")
    # The radio group: its error is inside the fieldset, before the first option.
    assert page.by_id["helpful-error"][0] < page.by_id["util-si"][0]


def test_the_summary_script_is_a_static_file(client):
    html = client.post("/participa/seguimiento/", {"codigo": ""}).content.decode()
    assert "js/error-summary.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
