from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJobRun(models.Model):
    """When each periodic job (ayni.schedule) was last enqueued: shared by every worker."""

    name = models.CharField(_("tarea"), max_length=100, primary_key=True)
    last_enqueued_at = models.DateTimeField(_("última vez encolada"), null=True, blank=True)

    class Meta:
        verbose_name = _("tarea periódica")
        verbose_name_plural = _("tareas periódicas")

    def __str__(self) -> str:
        return self.name
