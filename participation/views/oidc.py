"""Sign-in with an OpenID Connect provider: mozilla-django-oidc's views with the portal's pages.

Every failure (provider down, consent denied, tampered state, bad signature or
nonce, expired code) ends on a Spanish page with a 4xx/502 status and a link
back to the local sign-in, which keeps working.
"""

from __future__ import annotations

import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from participation import oidc
from participation.services.accounts import account_identity_link

logger = logging.getLogger(__name__)

PENDING_LINK_SECONDS = 15 * 60


def _failure(request, message: str, status: int = 400) -> TemplateResponse:
    return TemplateResponse(
        request,
        "participation/message.html",
        {
            "title": _("No se completó el ingreso con %(provider)s") % {"provider": oidc.button_label()},
            "message": message,
            "link": (reverse("accounts:login"), _("Ingresar con correo y contraseña")),
        },
        status=status,
    )


def _unavailable(request) -> TemplateResponse:
    return _failure(
        request,
        _("No pudimos comunicarnos con %(provider)s. Intenta de nuevo más tarde o ingresa con tu correo.")
        % {"provider": oidc.button_label()},
        status=502,
    )


class AuthenticateView(OIDCAuthenticationRequestView):
    """Redirects to the provider with state, nonce and a PKCE code challenge."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # endpoints: from discovery

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.endpoint("authorization_endpoint")
        except oidc.ProviderUnavailable as exc:
            logger.warning("OpenID Connect discovery failed: %s", exc)
            return _unavailable(request)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request):
        if not oidc.enabled():
            raise Http404
        if request.GET.get("error"):
            super().get(request)  # forgets the state and signs out, as the library does
            return _failure(
                request, _("El ingreso fue cancelado o rechazado en %(provider)s.") % {"provider": oidc.button_label()}
            )
        try:
            return super().get(request)
        except oidc.SignInStopped as stop:
            if stop.pending_link:
                request.session[oidc.SESSION_PENDING_LINK] = {**stop.pending_link, "at": time.time()}
                return redirect("accounts:oidc_link")
            return _failure(request, stop.message)
        except (SuspiciousOperation, jwt.PyJWTError) as exc:  # tampered, forged, expired or otherwise bad token
            logger.warning("OpenID Connect sign-in refused: %s", exc)
            return _failure(
                request, _("La respuesta del proveedor de identidad no es válida o ya fue usada. Vuelve a ingresar.")
            )
        except oidc.ProviderUnavailable as exc:
            logger.warning("OpenID Connect discovery failed: %s", exc)
            return _unavailable(request)
        except requests.HTTPError as exc:
            logger.warning("OpenID Connect provider refused: %s", exc)
            return _failure(
                request,
                _("El proveedor de identidad rechazó el ingreso (el código venció o no es válido). Vuelve a ingresar."),
            )
        except requests.RequestException as exc:
            logger.warning("OpenID Connect provider unreachable: %s", exc)
            return _unavailable(request)

    def login_success(self):
        response = super().login_success()
        self.request.session[oidc.SESSION_SIGNED_IN] = True
        return response

    def login_failure(self):
        return _failure(self.request, _("No pudimos verificar tu identidad. Vuelve a ingresar."))


@require_http_methods(["GET", "POST"])
def link(request):
    """Confirm linking the provider's identity to the account of its verified e-mail."""
    if not oidc.enabled():
        raise Http404
    pending = request.session.get(oidc.SESSION_PENDING_LINK)
    if not pending or time.time() - pending.get("at", 0) > PENDING_LINK_SECONDS:
        request.session.pop(oidc.SESSION_PENDING_LINK, None)
        return _failure(request, _("La solicitud para vincular tu cuenta venció. Vuelve a ingresar."))
    if request.method == "POST":
        del request.session[oidc.SESSION_PENDING_LINK]
        if "cancel" in request.POST:
            return redirect("accounts:login")
        try:
            user = account_identity_link(
                user_id=pending["user"], provider=pending["provider"], sub=pending["sub"], email=pending["email"]
            )
        except ValidationError as exc:
            return _failure(request, exc.messages[0])
        if pending.get("current"):
            if not request.user.is_authenticated or request.user.pk != user.pk:
                return _failure(request, _("No pudimos vincular la cuenta. Vuelve a ingresar."))
            messages.success(request, _("Tu identidad quedó verificada."))
            return redirect("accounts:profile")
        auth.login(request, user, backend="participation.oidc.Backend")
        request.session[oidc.SESSION_SIGNED_IN] = True
        return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"email": pending["email"], "provider": oidc.button_label(), "current": pending.get("current")}
    return TemplateResponse(request, "participation/accounts/oidc_link.html", context)
