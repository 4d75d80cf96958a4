from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from participation import codes, selectors, services
from participation.forms import ComplaintForm, TrackingForm, apply_errors
from participation.models import Notification

from .common import client_of, too_many


@never_cache
def complaint_form(request):
    """File a complaint. The tracking code is shown in the response itself (no redirect,
    nothing in the session or in a URL) so that an anonymous denuncia leaves no trace."""
    form = ComplaintForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint, created = services.complaint_create(
                    kind=data["kind"],
                    unit=data["unit"],
                    subject=data["subject"],
                    description=data["description"],
                    district=data["district"],
                    location=data["location"],
                    anonymous=data["anonymous"],
                    user=request.user,
                    contact_email=data["contact_email"],
                    contact_whatsapp=data["contact_whatsapp"],
                    notify_consent=data["notify_consent"],
                    attachments=data["attachments"],
                    submission_token=data["submission_token"],
                    client=client_of(request),
                )
            except services.RateLimited:
                return too_many(request)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                context = {"complaint": complaint, "created": created}
                return TemplateResponse(
                    request, "participation/complaint_done.html", context, status=201 if created else 200
                )
    return TemplateResponse(request, "participation/complaint_form.html", {"form": form}, status=status)


@never_cache
def tracking(request):
    """Follow a case with its code. Only POST: the code never travels in a URL (nor in any log);
    an old link with ``?codigo=`` is redirected to the bare page."""
    if request.method == "GET" and request.GET:
        return redirect("participation:tracking")
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    data = request.POST if request.method == "POST" else None
    form = TrackingForm(data)
    context = {"form": form, "case": None}
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            try:
                complaint = services.complaint_track(raw_code=form.cleaned_data["codigo"], client=client_of(request))
            except services.RateLimited:
                return too_many(request, _("Demasiadas consultas desde tu conexión. Espera unos minutos."))
            except codes.MalformedCode:
                form.add_error("codigo", _("El código no tiene el formato correcto, por ejemplo RC-7K4MX-2Q9PA."))
            else:
                if complaint is None:
                    form.add_error(
                        "codigo", _("No encontramos ningún caso con ese código. Revisa que esté bien escrito.")
                    )
                    status = 404
                else:
                    context["case"] = selectors.complaint_public(complaint=complaint)
                    status = 200
    return TemplateResponse(request, "participation/tracking.html", context, status=status)


@login_required
def notification_list(request):
    items = list(selectors.notifications_for(user=request.user))
    return TemplateResponse(request, "participation/notifications.html", {"notifications": items})


@login_required
@require_POST
def notification_read_all(request):
    from django.utils import timezone

    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("participation:notifications")
