from django.db import models
from django.utils.translation import gettext_lazy as _


class GuideFeedback(models.Model):
    """An answer to "¿Te fue útil?" on a guide page. No personal data is kept."""

    page = models.ForeignKey("cms.GuidePage", verbose_name=_("guía"), on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("le fue útil"))
    comment = models.TextField(_("comentario"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opinión sobre una guía")
        verbose_name_plural = _("opiniones sobre guías")

    def __str__(self) -> str:
        return f"{self.page.title}: {'sí' if self.helpful else 'no'}"
