from __future__ import annotations

import secrets

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from participation.models import Complaint, District, MunicipalUnit, Proposal, ProposalCategory

REQUIRED = {"required": _("Este campo es obligatorio.")}


def _max(limit: int) -> dict:
    return {**REQUIRED, "max_length": _("No puede superar los %(limit_value)d caracteres.")}


def apply_errors(form: forms.Form, exc) -> None:
    """Attach a service's ValidationError to the form's fields (or to the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# --- accounts -----------------------------------------------------------------


class RegistrationForm(forms.Form):
    email = forms.EmailField(
        label=_("Correo electrónico"),
        max_length=254,
        error_messages={**_max(254), "invalid": _("Escribe un correo válido.")},
    )
    display_name = forms.CharField(
        label=_("Nombre (opcional)"), max_length=120, required=False, error_messages=_max(120)
    )
    district = forms.ModelChoiceField(
        label=_("Distrito (opcional)"), queryset=District.objects.all(), required=False, empty_label=_("— Ninguno —")
    )
    password1 = forms.CharField(
        label=_("Contraseña"),
        help_text=_("Al menos 12 caracteres; puede ser una frase fácil de recordar."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=REQUIRED,
    )
    password2 = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=REQUIRED,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("Las contraseñas no coinciden."))
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Nombre"), max_length=120, required=False, error_messages=_max(120))
    district = forms.ModelChoiceField(
        label=_("Distrito"), queryset=District.objects.all(), required=False, empty_label=_("— Ninguno —")
    )


# --- proposals ----------------------------------------------------------------


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=150, error_messages=_max(150))
    body = forms.CharField(
        label=_("Descripción"),
        help_text=_("Texto sin formato: explica el problema y tu propuesta."),
        max_length=settings.AYNI_PROPOSAL_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages=_max(settings.AYNI_PROPOSAL_BODY_MAX),
    )
    category = forms.ModelChoiceField(
        label=_("Categoría"),
        queryset=ProposalCategory.objects.all(),
        error_messages={**REQUIRED, "invalid_choice": _("Elige una categoría de la lista.")},
    )
    district = forms.ModelChoiceField(
        label=_("Distrito (opcional)"),
        queryset=District.objects.all(),
        required=False,
        empty_label=_("— Todo el municipio —"),
    )
    tags = forms.CharField(
        label=_("Etiquetas (opcional)"),
        help_text=_("Separadas por comas, hasta 5."),
        max_length=250,
        required=False,
        error_messages=_max(250),
    )
    image = forms.FileField(label=_("Imagen (opcional, JPEG o PNG, hasta 5 MB)"), required=False)

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class ProposalEditForm(ProposalForm):
    image = None


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Tu comentario"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), error_messages=_max(2000)
    )


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("Motivo (opcional)"), max_length=500, required=False, error_messages=_max(500))


# --- complaints -----------------------------------------------------------------


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Tipo"),
        choices=[(value, capfirst(label)) for value, label in Complaint.Kind.choices],
        widget=forms.RadioSelect,
        error_messages={**REQUIRED, "invalid_choice": _("Elige reclamo, denuncia o sugerencia.")},
    )
    unit = forms.ModelChoiceField(
        label=_("Unidad municipal"),
        queryset=MunicipalUnit.objects.all(),
        empty_label=_("— Elige la unidad —"),
        error_messages={**REQUIRED, "invalid_choice": _("Elige una unidad de la lista.")},
    )
    subject = forms.CharField(label=_("Asunto"), max_length=150, error_messages=_max(150))
    description = forms.CharField(
        label=_("Descripción"),
        max_length=settings.AYNI_COMPLAINT_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages=_max(settings.AYNI_COMPLAINT_DESCRIPTION_MAX),
    )
    district = forms.ModelChoiceField(
        label=_("Distrito (opcional)"),
        queryset=District.objects.all(),
        required=False,
        empty_label=_("— No sé / no aplica —"),
    )
    location = forms.CharField(label=_("Lugar (opcional)"), max_length=200, required=False, error_messages=_max(200))
    attachments = MultipleFileField(
        label=_("Adjuntos (opcional)"),
        required=False,
        help_text=_(
            "Hasta 3 archivos PDF, JPEG o PNG de 5 MB cada uno. A las imágenes les quitamos los datos ocultos "
            "(ubicación, cámara); un PDF puede llevar el nombre de su autor en sus propiedades."
        ),
    )
    anonymous = forms.BooleanField(
        label=_("Presentar la denuncia de forma anónima"),
        required=False,
        help_text=_(
            "Solo para denuncias. No guardaremos tu nombre, tu cuenta, tus datos de contacto ni tu dirección IP."
        ),
    )
    contact_email = forms.EmailField(
        label=_("Correo electrónico (opcional)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Escribe un correo electrónico válido.")},
    )
    contact_whatsapp = forms.CharField(
        label=_("Número de WhatsApp (opcional)"), required=False, max_length=20, error_messages=_max(20)
    )
    notify_consent = forms.BooleanField(label=_("Acepto recibir avisos sobre mi caso"), required=False)
    submission_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", secrets.token_urlsafe(24))


class TrackingForm(forms.Form):
    codigo = forms.CharField(
        label=_("Código de seguimiento"),
        max_length=30,
        help_text=_("Por ejemplo: RC-7K4MX-2Q9PA (mayúsculas o minúsculas)."),
        error_messages=_max(30),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


# --- staff (Wagtail admin) --------------------------------------------------------


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nuevo estado"), choices=Complaint.Status.choices)
    text = forms.CharField(
        label=_("Mensaje público (opcional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TextForm(forms.Form):
    text = forms.CharField(label=_("Texto"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ReplyForm(TextForm):
    """A public reply that can move the case in the same step (to "respondido" unless staff choose otherwise)."""

    status = forms.ChoiceField(
        label=_("Y el caso pasa a"),
        choices=[("", _("sin cambio de estado")), *Complaint.Status.choices],
        required=False,
    )

    def __init__(self, *args, complaint: Complaint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if complaint is not None and not complaint.is_final and complaint.status != Complaint.Status.ANSWERED:
            self.fields["status"].initial = Complaint.Status.ANSWERED


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisión"),
        choices=[("mantener", _("Restablecer: vuelve a mostrarse")), ("retirar", _("Retirar del portal"))],
        widget=forms.RadioSelect,
        error_messages={**REQUIRED, "invalid_choice": _("Elige restablecer o retirar.")},
    )
    reason = forms.CharField(
        label=_("Motivo"),
        help_text=_("Obligatorio para restablecer: queda registrado junto con tu nombre."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_max(2000),
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Estado"),
        choices=[(v, label) for v, label in Proposal.Status.choices if v not in ("published", "threshold_reached")],
    )
    answer = forms.CharField(label=_("Respuesta oficial"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    reason = forms.CharField(label=_("Motivo del rechazo"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
