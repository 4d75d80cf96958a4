"""Sign-in with an OpenID Connect provider (Ciudadanía Digital first) through mozilla-django-oidc.

The library runs the authorization code flow (PKCE, state, nonce) and checks the
ID token's signature against the provider's keys; this module gives it the
provider's endpoints from the discovery document (cached) instead of one
setting each, also checks the token's issuer and audience, and keeps of the
claims only the `sub`, the name and the e-mail (services.account_identity_sign_in):
the identity-card number or any other claim is never stored. Settings:
ayni/settings/oidc.py (off while OIDC_ISSUER or OIDC_CLIENT_ID is empty).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from participation.services.accounts import IdentityConflict, account_identity_sign_in

logger = logging.getLogger(__name__)

SESSION_SIGNED_IN = "oidc_signed_in"  # this session signed in at the provider (sign out there too)
SESSION_PENDING_LINK = "oidc_pending_link"  # a verified e-mail's account waiting for the person's confirmation


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read."""


class SignInStopped(Exception):
    """The identity is proven but the sign-in stops: a link to confirm (``pending_link``) or a refusal (``message``).

    Raised out of the backend, so that it is not counted as a failed sign-in (django-axes).
    """

    def __init__(self, *, message: str = "", pending_link: dict | None = None):
        super().__init__(message or "pending link")
        self.message, self.pending_link = message, pending_link


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def button_label() -> str:
    return settings.OIDC_BUTTON_LABEL


def discovery() -> dict:
    """The provider's ``/.well-known/openid-configuration`` (cached for OIDC_DISCOVERY_CACHE_SECONDS)."""
    issuer = settings.OIDC_ISSUER
    key = f"oidc:discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(str(exc)) from exc
        if not isinstance(document, dict) or "authorization_endpoint" not in document:
            raise ProviderUnavailable("discovery document without authorization_endpoint")
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderUnavailable("discovery document of another issuer")
        cache.set(key, document, settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return document


def endpoint(name: str) -> str:
    value = discovery().get(name)
    if not value:
        raise ProviderUnavailable(f"discovery document without {name}")
    return value


def provider_logout_url(request) -> str | None:
    """RP-initiated logout at the provider (its end_session_endpoint), back to the portal afterwards.

    The client is named by client_id rather than id_token_hint, so that no ID token is kept.
    """
    try:
        end_session = discovery().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not end_session:
        return None
    query = urlencode(
        {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL),
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"


def identity_owner(*, provider: str, sub: str):
    """The account linked to (provider, sub), if any."""
    from participation.models import Profile

    profile = Profile.objects.select_related("user").filter(identity_provider=provider, identity_sub=sub).first()
    return profile.user if profile else None


def _name(claims: dict) -> str:
    """The person's name from the standard claims (or Ciudadanía Digital's `profile.nombre`)."""
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    parts = [claims.get("given_name"), claims.get("family_name")]
    profile = claims.get("profile")
    nombre = profile.get("nombre") if isinstance(profile, dict) else None
    if isinstance(nombre, dict):
        parts = [nombre.get("nombres"), nombre.get("primer_apellido"), nombre.get("segundo_apellido")]
    return " ".join(part for part in parts if isinstance(part, str) and part.strip())


class Backend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the endpoints from discovery and the portal's own accounts."""

    def __init__(self, *args, **kwargs):
        # The library reads every endpoint from settings here; they come from discovery
        # instead, on first use (this backend is built for every password sign-in too).
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: endpoint("token_endpoint"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: endpoint("userinfo_endpoint"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: endpoint("jwks_uri"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)

    def get_settings(self, attr, *args):
        if attr == "OIDC_TOKEN_USE_BASIC_AUTH":
            # client_secret_basic, the default when the provider names no method, unless it takes only _post.
            methods = discovery().get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            return "client_secret_basic" in methods or "client_secret_post" not in methods
        return super().get_settings(attr, *args)

    def get_user(self, user_id):
        # Django's check (an inactive account's session ends), which the library's version skips.
        return ModelBackend.get_user(self, user_id)

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or "code_verifier" not in kwargs:
            return None  # a password sign-in, or sign-in with the provider is off
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        if self.OIDC_RP_SIGN_ALGO.startswith("PS"):
            # The library takes the client secret as the key of any algorithm but RS*/ES*:
            # RSASSA-PSS is checked against the provider's keys here, as RS256 is there.
            payload = self.get_payload_data(token, self.retrieve_matching_jwk(token))
            if payload.get("nonce") != kwargs.get("nonce"):
                raise SuspiciousOperation("JWT Nonce verification failed.")
        else:
            payload = super().verify_token(token, **kwargs)  # signature (provider's keys), expiry, nonce
        if payload.get("iss", "").rstrip("/") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("ID token from another issuer.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client.")
        if not payload.get("sub"):
            raise SuspiciousOperation("ID token without sub.")
        self._id_token_sub = payload["sub"]
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("Userinfo for another subject.")
        # The ID token's claims, completed by userinfo's; only a few are read below.
        return {**payload, **info}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("Claims verification failed")
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        current = getattr(self.request, "user", None)
        if current is not None and current.is_authenticated:
            return self._for_signed_in(current, str(claims["sub"]))
        try:
            user, to_link = account_identity_sign_in(
                provider=settings.OIDC_ISSUER,
                sub=str(claims["sub"]),
                name=_name(claims),
                email=email,
                email_verified=claims.get("email_verified") is True,
            )
        except IdentityConflict as exc:
            raise SignInStopped(
                message=_(
                    "Ya existe una cuenta con el correo de tu identidad digital, pero el proveedor no lo "
                    "verificó. Ingresa con tu correo y contraseña, y verifica tu identidad desde tu perfil."
                )
            ) from exc
        if to_link is not None:
            # Kept in the session only until the person confirms (views.oidc.link): allowed claims only.
            raise SignInStopped(
                pending_link={
                    "user": to_link.pk,
                    "provider": settings.OIDC_ISSUER,
                    "sub": str(claims["sub"]),
                    "email": email.strip().lower(),
                }
            )
        return user

    def _for_signed_in(self, current, sub: str):
        """Someone already signed in verifies their identity: link it to this account, once confirmed."""
        owner = identity_owner(provider=settings.OIDC_ISSUER, sub=sub)
        if owner is not None and owner.pk == current.pk:
            return current
        if owner is not None:
            raise SignInStopped(message=_("Esa identidad ya está vinculada a otra cuenta."))
        raise SignInStopped(
            pending_link={
                "user": current.pk,
                "provider": settings.OIDC_ISSUER,
                "sub": sub,
                "email": (current.email or current.get_username()).strip().lower(),
                "current": True,
            }
        )
