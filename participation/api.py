"""``/api/complaints/`` and ``/api/proposals/``."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from ayni.api_errors import errors
from participation import codes, selectors, services
from participation.models import District, MunicipalUnit
from participation.rules import can
from participation.views.common import client_of

complaints_router = Router()
proposals_router = Router()


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


# --- complaints -----------------------------------------------------------------


# The limits below are documented in the OpenAPI document (``json_schema_extra``);
# the service checks them (and the rules a schema cannot state: a text that is empty
# once cleaned, anonymous only for a denuncia, a contact for notices, file contents)
# and answers 400 with a Spanish message per field.
class ComplaintIn(Schema):
    kind: str = Field(..., json_schema_extra={"enum": ["reclamo", "denuncia", "sugerencia"]})
    unit: str = Field(..., description="Slug de la unidad municipal", json_schema_extra={"minLength": 1})
    subject: str = Field(..., json_schema_extra={"minLength": 5, "maxLength": 150})
    description: str = Field(..., json_schema_extra={"minLength": 10, "maxLength": 5000})
    district: str | None = Field(None, description="Slug del distrito")
    location: str = Field("", json_schema_extra={"maxLength": 200})
    anonymous: bool = Field(False, description="Solo para denuncias")
    contact_email: str = ""
    contact_whatsapp: str = ""
    notify_consent: bool = False
    submission_token: str = Field("", json_schema_extra={"pattern": "^([A-Za-z0-9_-]{16,64})?$"})


class ComplaintCreatedOut(Schema):
    code: str
    tracking_url: str


class HistoryOut(Schema):
    date: datetime
    status: str | None
    status_label: str | None
    message: str


class ComplaintPublicOut(Schema):
    code: str
    status: str
    status_label: str
    due_date: date
    overdue: bool
    history: list[HistoryOut]


class StaffEventOut(Schema):
    date: datetime
    kind: str
    public: bool
    status_to: str
    text: str
    actor: str | None


class ComplaintStaffOut(Schema):
    id: int
    code: str
    kind: str
    unit: str
    subject: str
    description: str
    status: str
    due_date: date
    overdue: bool
    anonymous: bool
    assigned_to: str | None
    events: list[StaffEventOut]


def _error(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {"detail": "Datos no válidos.", "errors": exc.message_dict}
    return {"detail": " ".join(exc.messages)}


@complaints_router.post(
    "",
    response={201: ComplaintCreatedOut, 200: ComplaintCreatedOut, 400: ErrorOut, **errors(422, 429)},
    summary="Presentar un reclamo, denuncia o sugerencia (anónimo permitido; adjuntos en multipart)",
)
def complaint_create(request, payload: Form[ComplaintIn], attachments: File[list[UploadedFile]] = None):
    unit = MunicipalUnit.objects.filter(slug=payload.unit).first()
    if unit is None:
        return 400, {"detail": "Datos no válidos.", "errors": {"unit": ["La unidad municipal no existe."]}}
    district = None
    if payload.district:
        district = District.objects.filter(slug=payload.district).first()
        if district is None:
            return 400, {"detail": "Datos no válidos.", "errors": {"district": ["El distrito no existe."]}}
    try:
        complaint, created = services.complaint_create(
            kind=payload.kind,
            unit=unit,
            subject=payload.subject,
            description=payload.description,
            district=district,
            location=payload.location,
            anonymous=payload.anonymous,
            user=request.user,
            contact_email=payload.contact_email,
            contact_whatsapp=payload.contact_whatsapp,
            notify_consent=payload.notify_consent,
            attachments=list(attachments or []),
            submission_token=payload.submission_token,
            client=client_of(request),
            channel="api",
        )
    except services.RateLimited:
        return 429, {"detail": "Demasiados envíos desde tu conexión. Intenta de nuevo más tarde."}
    except ValidationError as exc:
        return 400, _error(exc)
    # The tracking page asks for the code (POST): it never travels in a URL.
    url = request.build_absolute_uri(reverse("participation:tracking"))
    return (201 if created else 200), {"code": complaint.code, "tracking_url": url}


@complaints_router.get(
    "staff/",
    response={200: list[ComplaintStaffOut], **errors(400, 401, 422)},
    auth=django_auth,
    summary="Cola de trabajo del personal (solo los casos que puede atender)",
)
@paginate(LimitOffsetPagination)
def complaint_staff_list(request, unit: str = "", status: str = "", overdue: bool = False):
    return [_staff(c) for c in selectors.complaint_queue(user=request.user, unit=unit, status=status, overdue=overdue)]


@complaints_router.get(
    "staff/{int:pk}/",
    response={200: ComplaintStaffOut, **errors(400, 401, 403, 404, 422)},
    auth=django_auth,
    summary="Un caso con su historial interno (personal autorizado)",
)
def complaint_staff_detail(request, pk: int):
    if not can(request.user, "use_complaint_queue"):
        return 403, {"detail": "No tienes permiso para ver casos."}
    complaint = selectors.complaint_for_staff(user=request.user, pk=pk)
    if complaint is None:
        raise Http404
    return _staff(complaint)


def _staff(complaint) -> dict:
    from django.utils import timezone

    return {
        "id": complaint.pk,
        "code": complaint.code,
        "kind": complaint.kind,
        "unit": complaint.unit.name,
        "subject": complaint.subject,
        "description": complaint.description,
        "status": complaint.status,
        "due_date": complaint.due_date,
        "overdue": complaint.overdue_on(timezone.localdate()),
        "anonymous": complaint.anonymous,
        "assigned_to": complaint.assigned_to.get_username() if complaint.assigned_to else None,
        "events": [
            {
                "date": e.created_at,
                "kind": e.kind,
                "public": e.public,
                "status_to": e.status_to,
                "text": e.text,
                "actor": e.actor.get_username() if e.actor else None,
            }
            for e in selectors.complaint_staff_history(complaint=complaint)
        ],
    }


# What ``codes.normalize`` accepts (any case, separators between characters),
# documented; anything else is a 400 that explains the format.
_SEP = r"[ \t\n\r\f\v._-]*"
_CODE_CHAR = "[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"
CODE_PATTERN = rf"^{_SEP}(?:[Rr]{_SEP}[Cc]|[Dd]{_SEP}[Nn]|[Ss]{_SEP}[Gg])(?:{_SEP}{_CODE_CHAR}){{10}}{_SEP}$"


class TrackingIn(Schema):
    code: str = Field(
        ...,
        min_length=1,
        max_length=30,
        description="Código de seguimiento, p. ej. RC-7K4MX-2Q9PA",
        json_schema_extra={"pattern": CODE_PATTERN},
    )


@complaints_router.post(
    "lookup/",
    response={200: ComplaintPublicOut, **errors(400, 404, 422, 429)},
    summary="Seguimiento público de un caso por su código (el código va en el cuerpo, nunca en la URL)",
)
def complaint_track(request, payload: TrackingIn):
    try:
        complaint = services.complaint_track(raw_code=payload.code, client=client_of(request))
    except services.RateLimited:
        return 429, {"detail": "Demasiadas consultas desde tu conexión. Espera unos minutos."}
    except codes.MalformedCode:
        return 400, {"detail": "El código no tiene el formato correcto, por ejemplo RC-7K4MX-2Q9PA."}
    if complaint is None:
        return 404, {"detail": "No encontramos ningún caso con ese código."}
    return 200, selectors.complaint_public(complaint=complaint)


@complaints_router.api_operation(["GET"], "{code}/", include_in_schema=False)
def complaint_track_get_gone(request, code: str):
    """The old lookup put the code in the URL (and so in every log): it is gone."""
    response = JsonResponse(
        {"detail": "Consulta el caso con POST /api/complaints/lookup/ y el código en el cuerpo."}, status=405
    )
    response["Allow"] = "POST"
    return response


# --- proposals --------------------------------------------------------------------


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    category: str
    district: str | None
    tags: list[str]
    status: str
    status_label: str
    status_reason: str
    official_answer: str
    support_count: int
    # Of those, the supports of residents whose identity the provider (Ciudadanía Digital) proved.
    identity_support_count: int
    author: str
    created_at: datetime
    url: str


@proposals_router.get(
    "", response={200: list[ProposalOut], **errors(400, 422)}, summary="Propuestas ciudadanas publicadas"
)
@paginate(LimitOffsetPagination)
def proposal_index(
    request, category: str = "", district: str = "", status: str = "", tag: str = "", sort: str = "recientes"
):
    proposals = selectors.proposal_list(category=category, district=district, status=status, tag=tag, sort=sort)
    return [
        selectors.proposal_public(proposal=p)
        for p in proposals.prefetch_related("tags", "author__participation_profile")
    ]


@proposals_router.get(
    "{int:pk}/", response={200: ProposalOut, **errors(400, 404, 422)}, summary="Una propuesta con sus apoyos"
)
def proposal_show(request, pk: int):
    proposal = selectors.proposal_get(pk=pk)
    if proposal is None:
        raise Http404
    return selectors.proposal_public(proposal=proposal)
