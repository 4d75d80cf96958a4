from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LEVEL_NONE = ""
LEVEL_EMAIL = "email"  # the e-mail address was confirmed
LEVEL_IDENTITY = "identity"  # the identity was proven by an OpenID Connect provider (Ciudadanía Digital)
# Each level includes the ones before it.
LEVELS = (LEVEL_NONE, LEVEL_EMAIL, LEVEL_IDENTITY)
LEVEL_LABELS = {
    LEVEL_NONE: _("sin verificar"),
    LEVEL_EMAIL: _("correo verificado"),
    LEVEL_IDENTITY: _("identidad verificada"),
}


class Profile(models.Model):
    """What a citizen account adds to Django's user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participation_profile"
    )
    display_name = models.CharField(_("nombre"), max_length=120, blank=True)
    district = models.ForeignKey(
        "participation.District", verbose_name=_("distrito"), null=True, blank=True, on_delete=models.SET_NULL
    )
    email_verified_at = models.DateTimeField(_("correo verificado el"), null=True, blank=True)
    # Identity proven by an OpenID Connect provider (participation/oidc.py): only the
    # provider (its issuer URL) and the person's `sub` there are kept, never other claims.
    identity_provider = models.CharField(_("proveedor de identidad"), max_length=255, blank=True)
    identity_sub = models.CharField(_("identificador en el proveedor"), max_length=255, blank=True)
    identity_verified_at = models.DateTimeField(_("identidad verificada el"), null=True, blank=True)

    class Meta:
        verbose_name = _("perfil")
        verbose_name_plural = _("perfiles")
        constraints = [
            models.UniqueConstraint(
                fields=["identity_provider", "identity_sub"],
                condition=~models.Q(identity_sub=""),
                name="profile_identity_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def level(self) -> str:
        """The account's verification level: "identity", "email" or "" (none)."""
        if self.identity_verified_at is not None:
            return LEVEL_IDENTITY
        if self.email_verified_at is not None:
            return LEVEL_EMAIL
        return LEVEL_NONE
