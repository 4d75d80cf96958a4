from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.clients import key_for
from ayni.ratelimit import RateLimited
from participation.models import District, Profile
from participation.text import single_line

from .common import rate_limit
from .proposals import supports_relevel

VERIFY_SALT = "participation.email-verification"


def _token(user) -> str:
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=VERIFY_SALT)


def account_verification_send(*, user, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse("accounts:verify", args=[_token(user)])
    send_mail(
        _("Confirma tu correo electrónico"),
        _(
            "Hola:\n\nPara confirmar tu cuenta en el portal municipal abre este enlace:\n%(link)s\n\n"
            "Si no creaste una cuenta, ignora este mensaje."
        )
        % {"link": link},
        None,
        [user.email],
    )


def _email_key(email: str) -> str:
    """One-way key of an e-mail address for per-address limits (the address is not kept)."""
    return key_for(email.strip().lower(), namespace="email")


@transaction.atomic
def account_register(
    *, email: str, password: str, display_name: str = "", district: District | None = None, client: str, base_url: str
):
    """Create an unverified account and mail its verification link.

    Whether the address already has an account is never revealed: the caller
    gets the same outcome (None instead of the new user, same response), and
    the owner of the address gets a notice by e-mail instead of a second account.
    """
    rate_limit(scope="register", client=client)
    email = (email or "").strip().lower()
    User = get_user_model()
    user = User(username=email, email=email, first_name=single_line(display_name)[:150])
    validate_password(password, user)
    existing = User.objects.filter(email__iexact=email).first() or User.objects.filter(username__iexact=email).first()
    if existing is not None:
        make_password(password)  # the same work as a new account: the time taken tells nothing either
        transaction.on_commit(lambda: _existing_account_notice(email=email, base_url=base_url))
        return None
    user.set_password(password)
    user.save()
    Profile.objects.create(user=user, display_name=single_line(display_name)[:120], district=district)
    transaction.on_commit(lambda: account_verification_send(user=user, base_url=base_url))
    return user


def _existing_account_notice(*, email: str, base_url: str) -> None:
    """Tell the owner of an address that someone tried to register with it (a few times per window at most)."""
    try:
        rate_limit(scope="register_notice", client=_email_key(email))
    except RateLimited:
        return  # silently: a flood of attempts must not flood the inbox
    base = base_url.rstrip("/")
    send_mail(
        _("Intento de registro con tu correo"),
        _(
            "Hola:\n\nAlguien intentó crear una cuenta en el portal municipal con este correo, "
            "que ya tiene una cuenta.\n\nSi fuiste tú, ingresa en %(login)s o, si olvidaste tu "
            "contraseña, pide una nueva en %(reset)s.\n\nSi no fuiste tú, ignora este mensaje: "
            "no se creó ninguna cuenta y la tuya no cambió."
        )
        % {"login": base + reverse("accounts:login"), "reset": base + reverse("accounts:password_reset")},
        None,
        [email],
    )


def account_password_reset_throttle(*, email: str, client: str) -> None:
    """Count one password-reset request per client and per address (raises RateLimited).

    Every address counts the same, with or without an account, so the limit tells nothing.
    """
    rate_limit(scope="password_reset", client=client)
    rate_limit(scope="password_reset_email", client=_email_key(email or ""))


@transaction.atomic
def account_verify_email(*, token: str):
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.AYNI_EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("El enlace de verificación venció. Pide uno nuevo desde tu perfil.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("El enlace de verificación no es válido.")) from exc
    User = get_user_model()
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or user.email.lower() != data.get("e"):
        raise ValidationError(_("El enlace de verificación no es válido."))
    profile, _created = Profile.objects.get_or_create(user=user)
    if profile.email_verified_at is None:
        profile.email_verified_at = timezone.now()
        profile.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def profile_update(*, user, display_name: str, district: District | None) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.display_name = single_line(display_name)[:120]
    profile.district = district
    profile.save(update_fields=["display_name", "district"])
    return profile


def role_groups_ensure() -> dict:
    """The staff role groups with access to the Wagtail admin (also created by migration 0002)."""
    from django.contrib.auth.models import Group, Permission

    from participation.rules import ROLE_GROUPS

    access_admin = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").first()
    groups = {}
    for name in ROLE_GROUPS:
        group, _created = Group.objects.get_or_create(name=name)
        if access_admin is not None:
            group.permissions.add(access_admin)
        groups[name] = group
    return groups


class IdentityConflict(Exception):
    """The provider's e-mail belongs to an account, but the provider did not verify it: nothing is linked."""


def _identity_username(*, provider: str, sub: str) -> str:
    return "oidc-" + key_for(f"{provider} {sub}", namespace="oidc")[:40]


@transaction.atomic
def account_identity_sign_in(*, provider: str, sub: str, name: str, email: str, email_verified: bool):
    """The account of a person who signed in with an OpenID Connect provider.

    Returns ``(user, None)`` for the account already linked to (provider, sub) or a
    new one (at level identity), and ``(None, existing_user)`` when the provider's
    verified e-mail belongs to an account that the person must first confirm to link
    (account_identity_link). Raises IdentityConflict when the e-mail belongs to an
    account but the provider did not verify it. Only the provider, the sub, the name
    and the e-mail are kept, never any other claim.
    """
    if not provider or not sub:
        raise ValidationError(_("El proveedor de identidad no envió un identificador."))
    profile = Profile.objects.select_related("user").filter(identity_provider=provider, identity_sub=sub).first()
    if profile is not None:
        if profile.identity_verified_at is None:
            profile.identity_verified_at = timezone.now()
            profile.save(update_fields=["identity_verified_at"])
            supports_relevel(user_id=profile.user_id)
        return profile.user, None
    email = (email or "").strip().lower()
    User = get_user_model()
    if email:
        existing = (
            User.objects.filter(email__iexact=email).first() or User.objects.filter(username__iexact=email).first()
        )
        if existing is not None:
            if not email_verified:
                raise IdentityConflict(email)
            return None, existing
    name = single_line(name or "")
    username = email or _identity_username(provider=provider, sub=sub)
    user = User(username=username, email=email, first_name=name[:150])
    user.set_unusable_password()
    user.save()
    now = timezone.now()
    Profile.objects.create(
        user=user,
        display_name=name[:120],
        email_verified_at=now if email and email_verified else None,
        identity_provider=provider,
        identity_sub=sub,
        identity_verified_at=now,
    )
    return user, None


@transaction.atomic
def account_identity_link(*, user_id: int, provider: str, sub: str, email: str):
    """Link (provider, sub) to the account whose address the provider verified, once the person confirmed."""
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or (user.email or user.username).lower() != (email or "").strip().lower():
        raise ValidationError(_("No pudimos vincular la cuenta. Vuelve a ingresar."))
    if Profile.objects.filter(identity_provider=provider, identity_sub=sub).exclude(user=user).exists():
        raise ValidationError(_("Esa identidad ya está vinculada a otra cuenta."))
    profile, _created = Profile.objects.get_or_create(user=user)
    already_proven = profile.identity_verified_at is not None
    now = timezone.now()
    profile.identity_provider = provider
    profile.identity_sub = sub
    profile.identity_verified_at = now
    if profile.email_verified_at is None:
        profile.email_verified_at = now  # the provider verified this address
    profile.save(update_fields=["identity_provider", "identity_sub", "identity_verified_at", "email_verified_at"])
    if not already_proven:
        supports_relevel(user_id=user.pk)  # the supports it gave count as a verified resident's from now on
    return user
