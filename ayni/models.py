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


class NotificationGroup(models.Model):
    """Changes waiting to go out to one recipient as one message (``ayni.notifications.notify_grouped``).

    The row (and with it who to write to) is deleted when the message is sent:
    nothing of the recipient stays here afterwards.
    """

    key = models.CharField(_("asunto agrupado"), max_length=100, unique=True)
    due_at = models.DateTimeField(_("se envía a partir de"), db_index=True)
    recipient = models.JSONField(_("destinatario"))
    event = models.CharField(_("evento"), max_length=50)
    subject = models.CharField(_("asunto"), max_length=200)
    url = models.CharField(_("enlace"), max_length=300, blank=True)
    items = models.JSONField(_("novedades"), default=list)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("aviso agrupado pendiente")
        verbose_name_plural = _("avisos agrupados pendientes")

    def __str__(self) -> str:
        return self.key


class NotificationMark(models.Model):
    """A notification that goes out at most once (``ayni.notifications.notification_claim``).

    The key names what was sent and when (e.g. ``complaint-due:42:2025-05-01``), never who to.
    """

    key = models.CharField(_("clave"), max_length=150, primary_key=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("aviso ya enviado")
        verbose_name_plural = _("avisos ya enviados")

    def __str__(self) -> str:
        return self.key
