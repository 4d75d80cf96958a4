from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from participation import oidc, services
from participation.forms import ProfileForm, RegistrationForm, apply_errors
from participation.models import Profile
from participation.rules import is_verified
from participation.services.common import rate_limit

from .common import base_url, client_of, too_many


def register(request):
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.account_register(
                    email=data["email"],
                    password=data["password1"],
                    display_name=data["display_name"],
                    district=data["district"],
                    client=client_of(request),
                    base_url=base_url(request),
                )
            except services.RateLimited:
                return too_many(request)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    apply_errors(form, exc)
                else:  # password validators
                    form.add_error("password1", exc.messages)
            else:
                # The same page whether the address was free or already had an account
                # (its owner gets a notice by e-mail instead): registration reveals nothing.
                return TemplateResponse(
                    request, "participation/accounts/registered.html", {"email": data["email"]}, status=201
                )
    return TemplateResponse(request, "participation/accounts/register.html", {"form": form}, status=status)


def verify(request, token: str):
    try:
        services.account_verify_email(token=token)
    except ValidationError as exc:
        return TemplateResponse(
            request,
            "participation/message.html",
            {"title": _("No pudimos verificar tu correo"), "message": exc.messages[0]},
            status=400,
        )
    return TemplateResponse(
        request,
        "participation/message.html",
        {
            "title": _("Correo verificado"),
            "message": _("Tu correo quedó confirmado. Ya puedes presentar y apoyar propuestas."),
            "link": (reverse_lazy("accounts:login"), _("Ingresar")),
        },
    )


class EmailAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Correo electrónico")

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "participation/accounts/login.html"
    authentication_form = EmailAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_label"] = oidc.button_label() if oidc.enabled() else ""
        return context


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("participation:proposal_index")

    def post(self, request, *args, **kwargs):
        # Signed in at the identity provider: sign out there too (RP-initiated logout), which
        # sends the person back to the portal.
        at_provider = oidc.enabled() and request.session.get(oidc.SESSION_SIGNED_IN)
        response = super().post(request, *args, **kwargs)
        provider_url = oidc.provider_logout_url(request) if at_provider else None
        return HttpResponseRedirect(provider_url) if provider_url else response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "participation/accounts/password_reset.html"
    email_template_name = "participation/accounts/password_reset_email.txt"
    subject_template_name = "participation/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    form_class = PasswordResetForm

    def form_valid(self, form):
        try:
            services.account_password_reset_throttle(email=form.cleaned_data["email"], client=client_of(self.request))
        except services.RateLimited:
            return too_many(self.request, _("Recibimos demasiadas solicitudes. Intenta de nuevo más tarde."))
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "participation/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "participation/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "participation/accounts/password_reset_complete.html"


@login_required
def profile(request):
    account_profile, _created = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": account_profile.display_name, "district": account_profile.district},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.profile_update(
                user=request.user,
                display_name=form.cleaned_data["display_name"],
                district=form.cleaned_data["district"],
            )
            messages.success(request, _("Guardamos tu perfil."))
            return redirect("accounts:profile")
        status = 400
    context = {
        "form": form,
        "profile": account_profile,
        "verified": is_verified(request.user),
        "oidc_label": oidc.button_label() if oidc.enabled() else "",
    }
    return TemplateResponse(request, "participation/accounts/profile.html", context, status=status)


@login_required
@require_POST
def resend_verification(request):
    try:
        rate_limit(scope="register", client=client_of(request))
    except services.RateLimited:
        return too_many(request)
    if not is_verified(request.user) and request.user.email:
        services.account_verification_send(user=request.user, base_url=base_url(request))
    messages.success(request, _("Te enviamos un nuevo enlace de verificación."))
    return redirect("accounts:profile")


def login_locked_out(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the Spanish 429 page after too many failed logins (every login form).

    It never names the account, and unknown usernames are locked out the same way,
    so it tells nothing about whether an account exists.
    """
    from django.conf import settings

    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "participation/accounts/locked_out.html", {"minutes": minutes}, status=429)
