from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-site notification (the "site" channel of participation.notifications)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participation_notifications"
    )
    event = models.CharField(_("evento"), max_length=50)
    subject = models.CharField(_("asunto"), max_length=200)
    body = models.TextField(_("mensaje"), blank=True)
    url = models.CharField(_("enlace"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)
    read_at = models.DateTimeField(_("leída el"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = _("notificación")
        verbose_name_plural = _("notificaciones")

    def __str__(self) -> str:
        return self.subject
