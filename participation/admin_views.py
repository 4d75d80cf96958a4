"""Staff screens in the Wagtail admin: a complaint's detail, moderation decisions and official answers.

The listings (complaint queue, proposals, reported comments) are Wagtail
viewsets in ``participation.viewsets``; these views are the pages they link to.

Every view asks ``participation.rules`` first; a complaint outside the
officer's units is a 404 (its existence is not revealed).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from participation import selectors, services
from participation.forms import AnswerForm, ModerationForm, ReplyForm, StatusForm, TextForm, apply_errors
from participation.models import Comment, Complaint, Proposal
from participation.models.accounts import LEVEL_LABELS
from participation.rules import can


def _require(request, permission: str) -> None:
    if not can(request.user, permission):
        raise PermissionDenied


def _complaint(request, pk: int) -> Complaint:
    _require(request, "use_complaint_queue")
    complaint = selectors.complaint_for_staff(user=request.user, pk=pk)
    if complaint is None:
        raise Http404
    return complaint


def complaint_detail(request, pk: int):
    complaint = _complaint(request, pk)
    forms = {
        "status": StatusForm(prefix="s"),
        "reply": ReplyForm(prefix="r", complaint=complaint),
        "note": TextForm(prefix="n"),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "assign":
                assignee = next(
                    (
                        u
                        for u in selectors.complaint_assignable_users(complaint=complaint)
                        if str(u.pk) == request.POST.get("assignee")
                    ),
                    None,
                )
                if assignee is None:
                    raise ValidationError(_("Elige a una persona de la lista."))
                services.complaint_assign(complaint=complaint, actor=request.user, assignee=assignee)
            elif action == "status":
                form = forms["status"] = StatusForm(request.POST, prefix="s")
                if not form.is_valid():
                    raise ValidationError(_("Revisa el estado elegido."))
                services.complaint_change_status(
                    complaint=complaint,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    text=form.cleaned_data["text"],
                )
            elif action == "reply":
                form = forms["reply"] = ReplyForm(request.POST, prefix="r", complaint=complaint)
                if not form.is_valid():
                    if "status" in form.errors:
                        raise ValidationError(_("Elige un estado válido."))
                    raise ValidationError(_("Escribe un texto de hasta 5000 caracteres."))
                services.complaint_reply(
                    complaint=complaint,
                    actor=request.user,
                    text=form.cleaned_data["text"],
                    status=form.cleaned_data["status"],
                )
            elif action == "note":
                form = forms["note"] = TextForm(request.POST, prefix="n")
                if not form.is_valid():
                    raise ValidationError(_("Escribe un texto de hasta 5000 caracteres."))
                services.complaint_note(complaint=complaint, actor=request.user, text=form.cleaned_data["text"])
            else:
                raise ValidationError(_("Acción desconocida."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("Cambio guardado."))
            return redirect("participation_admin:complaint", pk=complaint.pk)
    events = list(selectors.complaint_staff_history(complaint=complaint))
    labels = dict(Complaint.Status.choices)
    for event in events:
        # The history in words: "en proceso", not the stored code "en_proceso".
        event.status_from_label = labels.get(event.status_from, event.status_from)
        event.status_to_label = labels.get(event.status_to, event.status_to)
    today = timezone.localdate()
    context = {
        "complaint": complaint,
        "events": events,
        "days_left": (complaint.due_date - today).days,
        "attachments": _with_photo_flags(complaint.attachments.all()),
        "assignable": selectors.complaint_assignable_users(complaint=complaint),
        "overdue": complaint.overdue_on(today),
        **{f"{name}_form": form for name, form in forms.items()},
    }
    return TemplateResponse(request, "participation/admin/complaint.html", context, status=status)


# Attachments shown inline on the detail page (thumbnails, the full image on click); others are downloads.
INLINE_TYPES = {"image/jpeg", "image/png"}


def _with_photo_flags(attachments) -> list:
    attachments = list(attachments)
    for attachment in attachments:
        attachment.is_photo = attachment.content_type in INLINE_TYPES
    return attachments


def complaint_attachment(request, pk: int, attachment_pk: int):
    """An attachment, only to staff who may see the case (404 otherwise); ``?ver=1`` shows a photo inline."""
    complaint = _complaint(request, pk)
    attachment = get_object_or_404(complaint.attachments, pk=attachment_pk)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    disposition = "inline" if request.GET.get("ver") and attachment.content_type in INLINE_TYPES else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{complaint.code}-{attachment.pk}.{attachment.file.name.rsplit(".", 1)[-1]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


MODERATED = {"propuesta": Proposal, "comentario": Comment}


@require_http_methods(["GET", "POST"])
def moderation_decide(request, kind: str, pk: int):
    """Reported content: who reported it (and whether each report counts), the decisions so far,
    and the form to restore it (with a reason, recorded with the moderator) or remove it."""
    _require(request, "moderate")
    model = MODERATED.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model, pk=pk)
    form = ModerationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            keep = form.cleaned_data["decision"] == "mantener"
            try:
                services.moderation_decide(
                    moderator=request.user,
                    proposal=target if model is Proposal else None,
                    comment=target if model is Comment else None,
                    keep=keep,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Contenido restablecido.") if keep else _("Contenido retirado."))
                if model is Proposal:
                    return redirect(reverse("participation_admin:proposals") + "?reportadas=1")
                return redirect("participation_admin:moderation")
    context = {
        "kind": kind,
        "target": target,
        "proposal": target if model is Proposal else target.proposal,
        "form": form,
        "reports_to_hide": settings.AYNI_REPORTS_TO_HIDE,
        "report_level": LEVEL_LABELS[selectors.action_level("report")],
        **selectors.moderation_record(target=target),
    }
    return TemplateResponse(request, "participation/admin/moderation.html", context, status=status)


def proposal_answer(request, pk: int):
    _require(request, "answer_proposal")
    proposal = get_object_or_404(Proposal, pk=pk)
    form = AnswerForm(
        request.POST or None, initial={"answer": proposal.official_answer, "reason": proposal.status_reason}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.proposal_answer(proposal=proposal, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Respuesta publicada y seguidores avisados."))
                return redirect("participation_admin:proposals")
    context = {"proposal": proposal, "form": form}
    return TemplateResponse(request, "participation/admin/answer.html", context, status=status)
