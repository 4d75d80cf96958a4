"""The CKAN bridge's state: what was last synced, and the outbox of changes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CkanState(models.Model):
    """Per dataset: what CKAN holds, as far as the portal knows."""

    dataset = models.OneToOneField("opendata.Dataset", on_delete=models.CASCADE, related_name="ckan")
    ckan_id = models.CharField(_("id en CKAN"), max_length=64, blank=True)
    ckan_name = models.CharField(_("nombre en CKAN"), max_length=100, blank=True)
    synced_hash = models.CharField(_("huella sincronizada"), max_length=64, blank=True)
    synced_version = models.PositiveIntegerField(_("versión sincronizada"), null=True, blank=True)
    synced_at = models.DateTimeField(_("sincronizado"), null=True, blank=True)
    resource_ids = models.JSONField(_("recursos en CKAN"), default=dict, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    last_error_at = models.DateTimeField(_("fecha del último error"), null=True, blank=True)

    class Meta:
        verbose_name = _("estado en CKAN")
        verbose_name_plural = _("estados en CKAN")

    def __str__(self) -> str:
        return self.ckan_name or str(self.dataset_id)


class CkanOutbox(models.Model):
    """A change waiting to reach CKAN. Processed by the task worker; kept after."""

    class Action(models.TextChoices):
        PUSH = "push", _("Publicar o actualizar")
        DELETE = "delete", _("Retirar")

    class State(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        DONE = "done", _("Enviado")
        FAILED = "failed", _("Rechazado por CKAN")

    dataset = models.ForeignKey(
        "opendata.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="ckan_outbox"
    )
    ckan_name = models.CharField(_("nombre en CKAN"), max_length=100)
    action = models.CharField(_("acción"), max_length=8, choices=Action.choices)
    state = models.CharField(_("estado"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("intentos"), default=0)
    next_attempt_at = models.DateTimeField(_("próximo intento"))
    last_error = models.TextField(_("último error"), blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    done_at = models.DateTimeField(_("enviado"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="opendata_outbox_due")]
        verbose_name = _("cambio pendiente para CKAN")
        verbose_name_plural = _("cambios pendientes para CKAN")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.ckan_name} ({self.get_state_display()})"
