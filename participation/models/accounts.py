from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("perfil")
        verbose_name_plural = _("perfiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
