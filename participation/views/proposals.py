from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from participation import oidc, selectors, services
from participation.forms import CommentForm, ProposalEditForm, ProposalForm, ReportForm, apply_errors
from participation.models import Comment
from participation.rules import can, level_refusal

from .common import client_of, denied, too_many

SORTS = {"recientes": _("Más recientes"), "apoyos": _("Más apoyadas")}


def _websocket_url(path: str) -> str:
    return (settings.AYNI_WEBSOCKET_ORIGIN.rstrip("/") + path) if settings.AYNI_WEBSOCKET_ORIGIN else path


def proposal_index(request):
    params = {key: request.GET.get(key, "")[:100] for key in ("categoria", "distrito", "estado", "etiqueta", "orden")}
    sort = params["orden"] if params["orden"] in SORTS else "recientes"
    proposals = selectors.proposal_list(
        category=params["categoria"],
        district=params["distrito"],
        status=params["estado"],
        tag=params["etiqueta"],
        sort=sort,
    )
    page = Paginator(proposals, 12).get_page(request.GET.get("pagina"))
    query = request.GET.copy()
    query.pop("pagina", None)
    context = {
        "page_obj": page,
        "params": params,
        "sort": sort,
        "sorts": SORTS,
        "query": query.urlencode(),
        "can_propose": can(request.user, "propose"),
        "show_identity": oidc.enabled() or selectors.threshold_level() == "identity",
        "provider": settings.OIDC_BUTTON_LABEL,
        "websocket_url": _websocket_url("/ws/participa/propuestas/"),
        **selectors.proposal_filters(),
    }
    return TemplateResponse(request, "participation/proposal_index.html", context)


def _get(request, pk: int):
    proposal = selectors.proposal_get(pk=pk, user=request.user)
    if proposal is None:
        raise Http404
    return proposal


def proposal_detail(request, pk: int, *, comment_form=None, status=200):
    proposal = _get(request, pk)
    levels = selectors.participation_levels()
    context = {
        "proposal": proposal,
        "author_name": selectors.author_name(proposal.author),
        "comments": selectors.proposal_comments(proposal=proposal),
        "comment_form": comment_form or CommentForm(),
        "report_form": ReportForm(),
        "threshold": settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
        # Supports by level: every one, and those of residents the provider verified.
        "threshold_level": levels.threshold,
        "provider": settings.OIDC_BUTTON_LABEL,
        "oidc_enabled": oidc.enabled(),
        "show_identity": oidc.enabled() or levels.threshold == "identity" or proposal.identity_support_count > 0,
        "can_support": can(request.user, "support"),
        "support_refusal": level_refusal("support"),
        "support_needs_identity": levels.support == "identity",
        "can_comment": can(request.user, "comment"),
        "can_report": can(request.user, "report"),
        "can_edit": can(request.user, "edit_proposal", proposal),
        "websocket_url": _websocket_url(f"/ws/participa/propuestas/{proposal.pk}/"),
        **selectors.proposal_user_state(proposal=proposal, user=request.user),
    }
    return TemplateResponse(request, "participation/proposal_detail.html", context, status=status)


@login_required
def proposal_create(request):
    if not can(request.user, "propose"):
        return denied(request, level_refusal("propose"))
    form = ProposalForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                proposal = services.proposal_create(
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    district=data["district"],
                    tags=form.tag_list(),
                    image=data.get("image"),
                    client=client_of(request),
                )
            except services.RateLimited:
                return too_many(request)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect(proposal)
    return TemplateResponse(
        request, "participation/proposal_form.html", {"form": form, "editing": False}, status=status
    )


@login_required
def proposal_edit(request, pk: int):
    proposal = _get(request, pk)
    if not can(request.user, "edit_proposal", proposal):
        return denied(request, _("Solo el autor puede editar la propuesta, y solo hasta que reciba su primer apoyo."))
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category,
        "district": proposal.district,
        "tags": ", ".join(t.name for t in proposal.tags.all()),
    }
    form = ProposalEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.proposal_update(
                    proposal=proposal,
                    user=request.user,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    district=data["district"],
                    tags=form.tag_list(),
                )
            except PermissionDenied as exc:
                return denied(request, str(exc))
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect(proposal)
    context = {"form": form, "editing": True, "proposal": proposal}
    return TemplateResponse(request, "participation/proposal_form.html", context, status=status)


@login_required
@require_POST
def proposal_support(request, pk: int):
    proposal = _get(request, pk)
    try:
        if request.POST.get("accion") == "retirar":
            services.proposal_withdraw_support(proposal=proposal, user=request.user, client=client_of(request))
        else:
            services.proposal_support(proposal=proposal, user=request.user, client=client_of(request))
    except services.RateLimited:
        return too_many(request)
    except PermissionDenied as exc:
        return denied(request, str(exc))
    except ValidationError as exc:
        return denied(request, exc.messages[0])
    return redirect(f"{proposal.get_absolute_url()}#apoyos")


@login_required
@require_POST
def proposal_follow(request, pk: int):
    proposal = _get(request, pk)
    if request.POST.get("accion") == "dejar":
        services.proposal_unfollow(proposal=proposal, user=request.user)
    else:
        services.proposal_follow(proposal=proposal, user=request.user)
    return redirect(f"{proposal.get_absolute_url()}#seguir")


@login_required
@require_POST
def comment_create(request, pk: int):
    proposal = _get(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                proposal=proposal, author=request.user, body=form.cleaned_data["body"], client=client_of(request)
            )
        except services.RateLimited:
            return too_many(request)
        except PermissionDenied as exc:
            return denied(request, str(exc))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(f"{proposal.get_absolute_url()}#comentarios")
    return proposal_detail(request, pk, comment_form=form, status=400)


@login_required
@require_POST
def report(request, pk: int, comment_pk: int | None = None):
    proposal = _get(request, pk)
    comment = None
    if comment_pk is not None:
        comment = Comment.objects.visible().filter(pk=comment_pk, proposal=proposal).first()
        if comment is None:
            raise Http404
    form = ReportForm(request.POST)
    if not form.is_valid():
        return denied(request, _("El motivo no puede superar los 500 caracteres."))
    try:
        services.content_report(
            user=request.user,
            proposal=None if comment else proposal,
            comment=comment,
            reason=form.cleaned_data["reason"],
            client=client_of(request),
        )
    except services.RateLimited:
        return too_many(request)
    except PermissionDenied as exc:
        return denied(request, str(exc))
    return TemplateResponse(
        request,
        "participation/message.html",
        {
            "title": _("Gracias por avisarnos"),
            "message": _("El equipo de moderación revisará el contenido reportado."),
            "link": (proposal.get_absolute_url(), _("Volver a la propuesta")),
        },
    )
