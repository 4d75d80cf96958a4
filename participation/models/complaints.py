from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel


def day_only(moment=None):
    """The moment's local day at noon: an anonymous case keeps no time finer than its day.

    The exact time could be matched against any log or record kept elsewhere
    (a proxy, a telecom), so it is never written for an anonymous denuncia.
    """
    moment = moment or timezone.now()
    local = timezone.localtime(moment)
    return local.replace(hour=12, minute=0, second=0, microsecond=0)


class ComplaintQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=Complaint.FINAL_STATUSES)

    def overdue(self, *, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def due_soon(self, *, today=None, days: int | None = None):
        """Open cases due between today and ``days`` days from now (``AYNI_COMPLAINT_DUE_SOON_DAYS``)."""
        today = today or timezone.localdate()
        days = settings.AYNI_COMPLAINT_DUE_SOON_DAYS if days is None else days
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))

    def with_overdue(self, *, today=None):
        today = today or timezone.localdate()
        overdue = Q(due_date__lt=today) & ~Q(status__in=Complaint.FINAL_STATUSES)
        return self.annotate(is_overdue=Case(When(overdue, then=Value(True)), default=Value(False)))


def attachment_storage():
    """Attachments are private: a storage of their own if configured, else the default one."""
    from django.core.files.storage import default_storage, storages

    return storages["participation_private"] if "participation_private" in settings.STORAGES else default_storage


class ProblemTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ProblemType(models.Model):
    """A problem in plain words (bache, alumbrado, basura…) and the unit that receives it.

    ``keywords`` map a resident's free text to the type (one word or phrase a
    line, matched as whole words without accents or case): the chat flow and the
    staff workspace use the same types.
    """

    name = models.CharField(_("nombre"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    keywords = models.TextField(
        _("palabras clave"),
        blank=True,
        help_text=_("Una palabra o frase por línea, p. ej. «bache», «hueco», «calle rota»."),
    )
    unit = models.ForeignKey(
        "participation.MunicipalUnit",
        verbose_name=_("unidad que lo recibe"),
        on_delete=models.PROTECT,
        related_name="problem_types",
    )
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=100)
    active = models.BooleanField(_("activo"), default=True)

    objects = ProblemTypeQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("keywords"),
        FieldPanel("unit"),
        FieldPanel("sort_order"),
        FieldPanel("active"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("tipo de problema")
        verbose_name_plural = _("tipos de problema")

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


class Complaint(models.Model):
    """A reclamo, denuncia or sugerencia, followed with its tracking code.

    An anonymous denuncia keeps no identity: ``user`` and the contact fields
    stay empty (services enforce it, a check constraint guarantees it).
    """

    class Kind(models.TextChoices):
        CLAIM = "reclamo", _("reclamo")
        REPORT = "denuncia", _("denuncia")
        SUGGESTION = "sugerencia", _("sugerencia")

    class Status(models.TextChoices):
        RECEIVED = "recibido", _("recibido")
        ASSIGNED = "asignado", _("asignado")
        IN_PROGRESS = "en_proceso", _("en proceso")
        ANSWERED = "respondido", _("respondido")
        CLOSED = "cerrado", _("cerrado")
        REJECTED = "rechazado", _("rechazado")

    class Channel(models.TextChoices):
        WEB = "web", _("web")
        API = "api", _("API")
        WHATSAPP = "whatsapp", _("WhatsApp")
        CHAT_WEB = "chat_web", _("chat web")

    FINAL_STATUSES = ("respondido", "cerrado", "rechazado")
    # An anonymous denuncia is taken only where nobody's number is known.
    ANONYMOUS_CHANNELS = ("web", "api")

    code = models.CharField(_("código de seguimiento"), max_length=20, unique=True)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind.choices)
    unit = models.ForeignKey(
        "participation.MunicipalUnit",
        verbose_name=_("unidad municipal"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    subject = models.CharField(_("asunto"), max_length=150)
    description = models.TextField(_("descripción"))
    district = models.ForeignKey(
        "participation.District", verbose_name=_("distrito"), null=True, blank=True, on_delete=models.SET_NULL
    )
    location = models.CharField(_("lugar"), max_length=200, blank=True)
    # A point sent as a WhatsApp location message (WGS84 degrees).
    latitude = models.DecimalField(_("latitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    problem_type = models.ForeignKey(
        ProblemType,
        verbose_name=_("tipo de problema"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    anonymous = models.BooleanField(_("anónima"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    contact_email = models.EmailField(_("correo de contacto"), blank=True)
    contact_whatsapp = models.CharField(_("WhatsApp de contacto"), max_length=20, blank=True)
    notify_consent = models.BooleanField(_("acepta recibir avisos"), default=False)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asignado a"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    received_on = models.DateField(_("recibido el"))
    due_date = models.DateField(_("fecha límite"))
    closed_at = models.DateTimeField(_("cerrado el"), null=True, blank=True)
    # Idempotency key of the form or API call that created it (random, not identity).
    submission_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("creado el"), default=timezone.now)
    # Set in save(): the day only for an anonymous denuncia (auto_now would keep the second).
    updated_at = models.DateTimeField(_("actualizado el"), default=timezone.now)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False)
                | Q(kind="denuncia", user__isnull=True, contact_email="", contact_whatsapp="", notify_consent=False),
                name="participation_anonymous_has_no_identity",
            ),
            models.CheckConstraint(
                condition=Q(anonymous=False)
                | Q(latitude__isnull=True, longitude__isnull=True, channel__in=("web", "api")),
                name="participation_anonymous_has_no_point_nor_chat",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="participation_point_is_whole",
            ),
        ]
        verbose_name = _("reclamo o denuncia")
        verbose_name_plural = _("reclamos y denuncias")

    def __str__(self) -> str:
        return f"{self.code} · {self.subject}"

    def save(self, *args, **kwargs):
        now = timezone.now()
        self.updated_at = day_only(now) if self.anonymous else now
        if self.anonymous:
            self.created_at = day_only(self.created_at)
            if self.closed_at is not None:
                self.closed_at = day_only(self.closed_at)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def map_url(self) -> str:
        """OpenStreetMap at the point; numbers always with a dot (never localized)."""
        if not self.has_point:
            return ""
        lat, lon = f"{self.latitude:.6f}", f"{self.longitude:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    def overdue_on(self, today) -> bool:
        return not self.is_final and self.due_date < today


class ComplaintEvent(models.Model):
    """Every change of a complaint, with who and when; only public ones are shown outside."""

    class Kind(models.TextChoices):
        CREATED = "created", _("recibido")
        STATUS = "status", _("cambio de estado")
        ASSIGNED = "assigned", _("asignación")
        REPLY = "reply", _("respuesta pública")
        NOTE = "note", _("nota interna")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    public = models.BooleanField(default=False)
    status_from = models.CharField(max_length=12, blank=True)
    status_to = models.CharField(max_length=12, blank=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("movimiento")
        verbose_name_plural = _("movimientos")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.kind}"

    def save(self, *args, **kwargs):
        if self.complaint.anonymous:
            self.created_at = day_only(self.created_at)
        super().save(*args, **kwargs)


class ComplaintAttachment(models.Model):
    """A validated file (PDF, JPEG or PNG) stored under a random name in private storage."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="reclamos/%Y/%m/", storage=attachment_storage, max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("adjunto")
        verbose_name_plural = _("adjuntos")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.content_type}"
