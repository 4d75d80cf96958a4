"""The bot's records: the conversation log and the WhatsApp message ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Chat web")
    API = "api", _("API")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Engine(models.TextChoices):
    RASA = "rasa", _("Rasa")
    FALLBACK = "fallback", _("Comprensión integrada")
    BUTTON = "button", _("Botón")


class ChatExchange(models.Model):
    """One question and the bot's answer. The sender is stored only as a keyed hash."""

    sender_hash = models.CharField(_("remitente (hash)"), max_length=64, db_index=True)
    channel = models.CharField(_("canal"), max_length=16, choices=Channel.choices)
    text = models.TextField(_("pregunta"))
    reply = models.TextField(_("respuesta"), blank=True)
    intent = models.CharField(_("intención"), max_length=64, blank=True)
    confidence = models.FloatField(_("confianza"), null=True, blank=True)
    guide_slug = models.CharField(_("guía"), max_length=255, blank=True)
    engine = models.CharField(_("motor"), max_length=16, choices=Engine.choices)
    latency_ms = models.PositiveIntegerField(_("latencia (ms)"), default=0)
    answered = models.BooleanField(_("respondida"), default=True, db_index=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("intercambio del asistente")
        verbose_name_plural = _("intercambios del asistente")

    def __str__(self) -> str:
        return self.text[:60]


class WhatsAppMessage(models.Model):
    """An incoming WhatsApp message, stored once per Meta message id (Meta retries).

    Privacy (``chatbot.services``): the text keeps a tracking code, and ``payload``
    an image's media id or a location's point, only while the message waits for
    its answer (then the code becomes ``[código]`` and the payload goes); the number
    and Meta's id (which encodes the number) are erased after
    ``AYNI_WHATSAPP_NUMBER_RETENTION_DAYS`` and the row is deleted after
    ``AYNI_WHATSAPP_LEDGER_RETENTION_DAYS``.

    Delivery (``chatbot.services.whatsapp_message_reply``): ``answered`` only once
    Meta accepted every reply; ``retry`` while Meta or the network failed and a
    later run will send what is missing (``pending_replies`` holds the computed replies
    until then, ``attempts`` counts the runs, ``claimed_until`` is the lease of
    the run sending now); ``failed`` when it cannot be answered.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibido")
        ANSWERED = "answered", _("Respondido")
        RETRY = "retry", _("Reintento pendiente")
        FAILED = "failed", _("Falló la respuesta")

    message_id = models.CharField(_("id del mensaje"), max_length=255, unique=True)
    wa_id = models.CharField(_("número"), max_length=32, db_index=True, blank=True)  # '' once erased
    kind = models.CharField(_("tipo"), max_length=32)
    text = models.TextField(_("texto"), blank=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    received_at = models.DateTimeField(_("recibido"), auto_now_add=True, db_index=True)
    status = models.CharField(_("estado"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    answered_at = models.DateTimeField(_("respondido"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("intentos de respuesta"), default=0)
    claimed_until = models.DateTimeField(_("en envío hasta"), null=True, blank=True)
    # The replies computed for this message, kept (like its text) only until it is answered or fails.
    pending_replies = models.JSONField(_("respuestas pendientes"), null=True, blank=True)
    # What an image or location message carried besides text (a media id, a point), for the
    # chat flow: erased, like a code in the text, once the message is answered or fails.
    payload = models.JSONField(_("contenido adjunto"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("mensaje de WhatsApp recibido")
        verbose_name_plural = _("mensajes de WhatsApp recibidos")

    def __str__(self) -> str:
        return self.message_id


class WhatsAppDelivery(models.Model):
    """A signed webhook delivery as Meta posted it: the webhook's only write (one INSERT).

    The worker splits it into messages and statuses (``chatbot.services.whatsapp_deliveries_process``);
    the message ledger then keeps each Meta message id once, so a delivery processed twice answers
    nothing twice. ``digest`` (a keyed hash of the body) makes an identical re-delivery a no-op.
    Privacy: the body (numbers, names, texts) is erased as soon as the delivery is processed,
    and every row is deleted after WhatsApp's 24-hour window (``purge_expired``).
    """

    digest = models.CharField(_("huella"), max_length=64, unique=True)
    body = models.TextField(_("cuerpo"), blank=True)  # '' once processed
    received_at = models.DateTimeField(_("recibida"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("procesada"), null=True, blank=True)
    # The run processing it now (a worker that dies lets another take it after the lease).
    claim = models.CharField(_("toma"), max_length=32, blank=True)
    claimed_until = models.DateTimeField(_("en proceso hasta"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["id"], condition=Q(processed_at__isnull=True), name="chatbot_wa_delivery_pending")
        ]
        verbose_name = _("entrega del webhook de WhatsApp")
        verbose_name_plural = _("entregas del webhook de WhatsApp")

    def __str__(self) -> str:
        return self.digest[:12]


class WhatsAppOutbound(models.Model):
    """A message the portal sent through the Cloud API (replies and notifications).

    Its text is stored with tracking codes redacted; number and id are erased and
    the row deleted like the incoming messages'.
    """

    message_id = models.CharField(_("id del mensaje"), max_length=255, blank=True, db_index=True)
    wa_id = models.CharField(_("número"), max_length=32, db_index=True, blank=True)  # '' once erased
    kind = models.CharField(_("tipo"), max_length=32)  # text, interactive, template
    text = models.TextField(_("texto"), blank=True)
    in_reply_to = models.ForeignKey(
        WhatsAppMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mensaje de WhatsApp enviado")
        verbose_name_plural = _("mensajes de WhatsApp enviados")

    def __str__(self) -> str:
        return self.message_id or "-"


class WhatsAppStatus(models.Model):
    """A delivery status callback (sent, delivered, read, failed) for an outgoing message.

    The recipient's number is never stored (``recipient`` stays empty: it is not
    needed to answer); rows are deleted after ``AYNI_WHATSAPP_LEDGER_RETENTION_DAYS``.
    """

    message_id = models.CharField(_("id del mensaje"), max_length=255)
    recipient = models.CharField(_("destinatario"), max_length=32, blank=True)
    status = models.CharField(_("estado"), max_length=16)
    timestamp = models.DateTimeField(_("momento"), null=True, blank=True)
    errors = models.JSONField(_("errores"), default=list, blank=True)
    created_at = models.DateTimeField(_("registrado"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["message_id", "status"], name="chatbot_wa_status_once")]
        verbose_name = _("estado de entrega de WhatsApp")
        verbose_name_plural = _("estados de entrega de WhatsApp")

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


class Conversation(models.Model):
    """The state of one conversation, so that any process can answer its next message.

    Keyed by the sender's keyed hash (never a number or a session id); holds only
    what the next answer needs: the last guide talked about, the options of a
    clarifying question and the question they answer, the language, and a guided
    flow in progress (a reclamo: its step and answers so far). Forgotten
    after ``CHATBOT_CONVERSATION_MINUTES`` idle and deleted by the retention job.
    """

    sender_hash = models.CharField(_("remitente (hash)"), max_length=64, unique=True)
    last_guide = models.CharField(_("última guía"), max_length=255, blank=True)
    options = models.JSONField(_("opciones ofrecidas"), default=list, blank=True)
    pending_asks = models.CharField(_("dato pedido"), max_length=16, blank=True)
    language = models.CharField(_("idioma"), max_length=8, blank=True)
    flow = models.JSONField(_("trámite guiado en curso"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("conversación del asistente")
        verbose_name_plural = _("conversaciones del asistente")

    def __str__(self) -> str:
        return self.sender_hash[:12]


class UnansweredHandled(models.Model):
    """Staff dealt with a group of questions the bot could not answer (issue 13, item 4).

    ``key`` is the group's sorted stemmed content words (``search.selectors.similar_key``),
    never a sender; the group stays hidden until it is asked again after ``handled_at``.
    Marks older than the log's retention are deleted (no question they cover is left).
    """

    key = models.CharField(_("clave del grupo"), max_length=255, unique=True)
    guide = models.ForeignKey(
        "cms.GuidePage", verbose_name=_("guía"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    alias = models.CharField(_("alias añadido"), max_length=200, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("atendida por"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("atendida el"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pregunta sin respuesta atendida")
        verbose_name_plural = _("preguntas sin respuesta atendidas")

    def __str__(self) -> str:
        return self.key
