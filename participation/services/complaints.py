from __future__ import annotations

import logging
import os
import re
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participation import codes, deadlines
from participation.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    District,
    MunicipalUnit,
    ProblemType,
)
from participation.models.complaints import day_only
from participation.rules import can
from participation.text import plain_text, single_line
from participation.uploads import clean_upload

from .common import rate_limit, require_length
from .notices import complaint_change_notify, complaint_receipt_send

logger = logging.getLogger(__name__)

SUBJECT_MAX = 150
LOCATION_MAX = 200
WHATSAPP_RE = re.compile(r"^\+?[0-9]{8,15}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _clean_contact(email: str, whatsapp: str) -> tuple[str, str]:
    email = (email or "").strip().lower()
    whatsapp = re.sub(r"[\s\-()]", "", whatsapp or "")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"contact_email": _("Escribe un correo electrónico válido.")}) from exc
        if len(email) > 254:
            raise ValidationError({"contact_email": _("El correo electrónico es demasiado largo.")})
    if whatsapp and not WHATSAPP_RE.match(whatsapp):
        raise ValidationError(
            {"contact_whatsapp": _("Escribe el número de WhatsApp solo con dígitos, p. ej. +59171234567.")}
        )
    return email, whatsapp


MICRODEGREE = Decimal("0.000001")


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


def _degrees(value, *, field: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("La ubicación no es válida.")}) from exc
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError({field: _("La ubicación no es válida.")})
    return number.quantize(MICRODEGREE, rounding=ROUND_HALF_EVEN)


def complaint_point_clean(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    """Both coordinates or none, as WGS84 degrees inside the municipality's bounding box."""
    missing = [_blank(value) for value in (latitude, longitude)]
    if all(missing):
        return None, None
    if any(missing):
        raise ValidationError({"latitude": _("La ubicación necesita latitud y longitud.")})
    lat = _degrees(latitude, field="latitude", limit=90)
    lon = _degrees(longitude, field="longitude", limit=180)
    bbox = getattr(settings, "AYNI_MUNICIPALITY_BBOX", None)
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        if not (min_lat <= float(lat) <= max_lat and min_lon <= float(lon) <= max_lon):
            raise ValidationError({"latitude": _("El punto está fuera del municipio.")})
    return lat, lon


def complaint_create(
    *,
    kind: str,
    unit: MunicipalUnit | None = None,
    subject: str,
    description: str,
    district: District | None = None,
    location: str = "",
    anonymous: bool = False,
    user=None,
    contact_email: str = "",
    contact_whatsapp: str = "",
    notify_consent: bool = False,
    attachments: list | None = None,
    submission_token: str = "",
    client: str = "",
    channel: str = "web",
    problem_type: ProblemType | None = None,
    latitude=None,
    longitude=None,
) -> tuple[Complaint, bool]:
    """File a complaint. Returns (complaint, created); the same submission token returns the first one.

    Everything is validated before anything is written; an anonymous denuncia
    keeps no user, contact, address or original file name, and is taken only
    on the web or the API (never in a chat, whose provider knows the number)
    and without a point. ``channel`` is one of ``Complaint.Channel``; with a
    ``problem_type`` and no ``unit`` the type's unit receives the case;
    ``latitude``/``longitude`` (degrees: Decimal, float or text) come together.
    """
    token = (submission_token or "").strip() or None
    if user is not None and not user.is_authenticated:
        user = None
    existing = _submitted_before(token)
    if existing is not None:
        return _replayed(existing, kind=kind, subject=subject, description=description), False
    _check_kind_and_channel(kind=kind, anonymous=anonymous, channel=channel)
    unit = _routed_unit(unit=unit, problem_type=problem_type)
    latitude, longitude = _clean_point(latitude, longitude, anonymous=anonymous)
    subject, description, location = _clean_texts(subject, description, location)
    user, contact_email, contact_whatsapp, notify_consent = _clean_filer(
        anonymous=anonymous,
        user=user,
        contact_email=contact_email,
        contact_whatsapp=contact_whatsapp,
        notify_consent=notify_consent,
    )
    files = _clean_attachments(attachments)
    rate_limit(scope="complaint", client=client)

    now, received_on, due = _filing_dates(kind, anonymous=anonymous)
    saved = []
    try:
        with transaction.atomic():
            complaint = _insert_with_unique_code(
                kind=kind,
                unit=unit,
                subject=subject,
                description=description,
                district=district,
                location=location,
                latitude=latitude,
                longitude=longitude,
                problem_type=problem_type,
                channel=channel,
                anonymous=anonymous,
                user=user,
                contact_email=contact_email,
                contact_whatsapp=contact_whatsapp,
                notify_consent=notify_consent,
                received_on=received_on,
                due_date=due,
                submission_token=token,
                created_at=now,
            )
            _save_attachments(complaint, files, saved, anonymous=anonymous, now=now)
            _record_created(complaint, now)
            complaint_receipt_send(complaint)  # queued for after the commit
    except IntegrityError:
        _delete_stored(saved)
        existing = _submitted_before(token)
        if existing is not None:
            return _replayed(existing, kind=kind, subject=subject, description=description), False
        raise
    except Exception:
        _delete_stored(saved)
        raise
    if not anonymous:
        # An anonymous denuncia leaves no log line: its time could be matched elsewhere.
        logger.info("complaint filed: kind=%s unit=%s channel=%s", kind, unit.pk, channel)
    return complaint, True


def _submitted_before(token: str | None) -> Complaint | None:
    """The case already filed with this submission token, if any (the token's form is checked first)."""
    if token is None:
        return None
    if not TOKEN_RE.match(token):
        raise ValidationError({"submission_token": _("El identificador del envío no es válido.")})
    return Complaint.objects.filter(submission_token=token).first()


def _check_kind_and_channel(*, kind: str, anonymous: bool, channel: str) -> None:
    if kind not in Complaint.Kind.values:
        raise ValidationError({"kind": _("Elige un tipo válido: reclamo, denuncia o sugerencia.")})
    if anonymous and kind != Complaint.Kind.REPORT:
        raise ValidationError({"anonymous": _("Solo las denuncias pueden presentarse de forma anónima.")})
    if channel not in Complaint.Channel.values:
        raise ValidationError({"channel": _("El canal no es válido.")})
    if anonymous and channel not in Complaint.ANONYMOUS_CHANNELS:
        raise ValidationError(
            {"anonymous": _("Las denuncias anónimas se presentan solo en el formulario anónimo de la web.")}
        )


def _routed_unit(*, unit: MunicipalUnit | None, problem_type: ProblemType | None) -> MunicipalUnit:
    """The unit chosen, or else the problem type's unit."""
    if problem_type is not None and not (isinstance(problem_type, ProblemType) and problem_type.active):
        raise ValidationError({"problem_type": _("Elige un tipo de problema válido.")})
    if unit is None and problem_type is not None:
        unit = problem_type.unit
    if unit is None:
        raise ValidationError({"unit": _("Elige la unidad municipal.")})
    return unit


def _clean_point(latitude, longitude, *, anonymous: bool) -> tuple[Decimal | None, Decimal | None]:
    if anonymous and not all(_blank(value) for value in (latitude, longitude)):
        raise ValidationError(
            {"latitude": _("Una denuncia anónima no guarda la ubicación exacta: descríbela con palabras.")}
        )
    return complaint_point_clean(latitude, longitude)


def _clean_texts(subject: str, description: str, location: str) -> tuple[str, str, str]:
    subject = single_line(subject)
    description = plain_text(description)
    location = single_line(location)
    require_length("subject", subject, maximum=SUBJECT_MAX, minimum=5)
    require_length("description", description, maximum=settings.AYNI_COMPLAINT_DESCRIPTION_MAX, minimum=10)
    require_length("location", location, maximum=LOCATION_MAX, minimum=0)
    return subject, description, location


def _clean_filer(*, anonymous: bool, user, contact_email: str, contact_whatsapp: str, notify_consent: bool):
    """(user, contact_email, contact_whatsapp, notify_consent) as stored: none of them for an anonymous denuncia."""
    if anonymous:
        return None, "", "", False
    contact_email, contact_whatsapp = _clean_contact(contact_email, contact_whatsapp)
    if notify_consent and not (contact_email or contact_whatsapp or user):
        raise ValidationError({"notify_consent": _("Para recibir avisos indica un correo o un número de WhatsApp.")})
    return user, contact_email, contact_whatsapp, notify_consent


def _clean_attachments(attachments: list | None) -> list:
    uploads = [item for item in (attachments or []) if item]
    if len(uploads) > settings.AYNI_ATTACHMENT_MAX_COUNT:
        raise ValidationError(
            {
                "attachments": _("Puedes adjuntar como máximo %(n)d archivos.")
                % {"n": settings.AYNI_ATTACHMENT_MAX_COUNT}
            }
        )
    files = []
    for upload in uploads:
        try:
            files.append(clean_upload(upload))
        except ValidationError as exc:
            raise ValidationError({"attachments": exc.messages}) from exc
    return files


def _filing_dates(kind: str, *, anonymous: bool):
    """(created_at, received_on, due_date) of a case filed now."""
    now = timezone.now()
    if anonymous:
        # The exact time could be matched against logs kept elsewhere: keep the day only.
        now = day_only(now)
    received_on = timezone.localdate()
    due = deadlines.add_business_days(received_on, deadlines.business_days_for(kind))
    return now, received_on, due


def _save_attachments(complaint: Complaint, files: list, saved: list, *, anonymous: bool, now) -> None:
    """Store the cleaned files; each stored file is appended to ``saved`` so a failure can remove it."""
    for item in files:
        attachment = ComplaintAttachment(complaint=complaint, content_type=item.content_type, size=item.size)
        attachment.file.save(item.content.name, item.content, save=False)
        saved.append(attachment.file)
        if anonymous:
            _file_times_to_day(attachment.file, now)
        attachment.save()


def _record_created(complaint: Complaint, now) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.CREATED,
        public=True,
        status_to=complaint.status,
        created_at=now,
    )


def _delete_stored(saved: list) -> None:
    for stored in saved:
        stored.storage.delete(stored.name)


@transaction.atomic
def complaint_personal_data_purge(*, now=None) -> int:
    """Erase the contact details of cases closed longer ago than the retention period.

    The case itself (what happened, where, the answer) stays for the record and
    the statistics; who to write to is needed only while the case is open.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AYNI_COMPLAINT_CONTACT_RETENTION_DAYS)
    stale = Complaint.objects.filter(status__in=Complaint.FINAL_STATUSES, closed_at__lt=cutoff).exclude(
        contact_email="", contact_whatsapp="", notify_consent=False
    )
    count = 0
    for complaint in stale.select_for_update():
        complaint.contact_email, complaint.contact_whatsapp, complaint.notify_consent = "", "", False
        complaint.save(update_fields=["contact_email", "contact_whatsapp", "notify_consent"])
        count += 1
    return count


def _replayed(existing: Complaint, *, kind: str, subject: str, description: str) -> Complaint:
    """A repeated submission token returns the first case only for the same content.

    Otherwise a known token would hand out another person's tracking code.
    """
    same = (
        existing.kind == kind
        and existing.subject == single_line(subject)
        and existing.description == plain_text(description)
    )
    if not same:
        raise ValidationError(
            {"submission_token": _("Este envío ya se registró con otro contenido. Recarga el formulario.")}
        )
    return existing


def _file_times_to_day(field_file, moment) -> None:
    """Files of an anonymous case keep no modification time finer than the day (local disk storage)."""
    try:
        path = field_file.storage.path(field_file.name)
    except NotImplementedError:  # remote storages keep their own metadata
        return
    stamp = day_only(moment).timestamp()
    os.utime(path, (stamp, stamp))
    os.utime(os.path.dirname(path), (stamp, stamp))


def _insert_with_unique_code(**fields) -> Complaint:
    for _attempt in range(5):
        code = codes.generate(fields["kind"])
        if Complaint.objects.filter(code=code).exists():
            continue
        return Complaint.objects.create(code=code, **fields)
    raise IntegrityError("could not allocate a tracking code")


def complaint_track(*, raw_code: str, client: str, keys: tuple[str, ...] | list[str] = ()) -> Complaint | None:
    """Look a code up for the public; every attempt counts against the ``tracking`` limit
    of the client and of each extra key (e.g. a chat sender's, ``ayni.clients.key_for``).

    An empty client (a channel without one, such as WhatsApp) counts the extra keys only.
    """
    for key in (client, *keys):
        rate_limit(scope="tracking", client=key)
    code = codes.normalize(raw_code)  # raises MalformedCode
    return Complaint.objects.filter(code=code).first()


def _locked(complaint: Complaint, actor) -> Complaint:
    if not can(actor, "handle_complaint", complaint):
        raise PermissionDenied(_("No tienes permiso sobre este caso."))
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _set_status(complaint: Complaint, actor, status: str, text: str = "") -> ComplaintEvent:
    previous = complaint.status
    complaint.status = status
    complaint.closed_at = timezone.now() if status in Complaint.FINAL_STATUSES else None
    complaint.save(update_fields=["status", "closed_at", "updated_at"])
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS,
        public=True,
        status_from=previous,
        status_to=status,
        text=text,
        actor=actor,
    )


@transaction.atomic
def complaint_assign(*, complaint: Complaint, actor, assignee) -> Complaint:
    complaint = _locked(complaint, actor)
    if not can(assignee, "handle_complaint", complaint):
        raise ValidationError({"assignee": _("Esa persona no puede atender casos de esta unidad.")})
    complaint.assigned_to = assignee
    complaint.save(update_fields=["assigned_to", "updated_at"])
    ComplaintEvent.objects.create(
        complaint=complaint, kind=ComplaintEvent.Kind.ASSIGNED, public=False, text=assignee.get_username(), actor=actor
    )
    if complaint.status == Complaint.Status.RECEIVED:
        _set_status(complaint, actor, Complaint.Status.ASSIGNED)
        complaint_change_notify(complaint)
    return complaint


@transaction.atomic
def complaint_change_status(*, complaint: Complaint, actor, status: str, text: str = "") -> Complaint:
    complaint = _locked(complaint, actor)
    if status not in Complaint.Status.values:
        raise ValidationError({"status": _("Elige un estado válido.")})
    text = plain_text(text)
    require_length("text", text, maximum=5000, minimum=0)
    if status == Complaint.Status.REJECTED and not text:
        raise ValidationError({"text": _("Explica públicamente por qué se rechaza el caso.")})
    if status == complaint.status:
        raise ValidationError({"status": _("El caso ya está en ese estado.")})
    _set_status(complaint, actor, status, text)
    complaint_change_notify(complaint, text=text)
    return complaint


@transaction.atomic
def complaint_reply(*, complaint: Complaint, actor, text: str, status: str = "") -> ComplaintEvent:
    """A public reply: shown on the tracking page and sent to the complainant.

    ``status`` (optional) moves the case in the same step (e.g. to "respondido"
    or "cerrado"): the history records the reply and the change, the
    complainant gets one message with both. The same status as now changes nothing.
    """
    complaint = _locked(complaint, actor)
    if status and status not in Complaint.Status.values:
        raise ValidationError({"status": _("Elige un estado válido.")})
    text = plain_text(text)
    require_length("text", text, maximum=5000, minimum=2)
    event = ComplaintEvent.objects.create(
        complaint=complaint, kind=ComplaintEvent.Kind.REPLY, public=True, text=text, actor=actor
    )
    if status and status != complaint.status:
        _set_status(complaint, actor, status)
        complaint_change_notify(complaint, text=text)
    else:
        complaint.save(update_fields=["updated_at"])
        complaint_change_notify(complaint, text=text, reply=True)
    return event


@transaction.atomic
def complaint_note(*, complaint: Complaint, actor, text: str) -> ComplaintEvent:
    """An internal note: never shown outside the admin, never sent."""
    complaint = _locked(complaint, actor)
    text = plain_text(text)
    require_length("text", text, maximum=5000, minimum=2)
    return ComplaintEvent.objects.create(
        complaint=complaint, kind=ComplaintEvent.Kind.NOTE, public=False, text=text, actor=actor
    )
