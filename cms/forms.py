from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from cms.rules import guide_publish_problems


class GuidePageForm(WagtailAdminPageForm):
    """Refuses to publish a guide that lacks what citizens need to act on it."""

    def clean(self):
        cleaned = super().clean()
        if "action-publish" in self.data:
            requirements = [
                f
                for f in self.formsets["requirements"].forms
                if f.is_valid() and f.cleaned_data.get("text") and not f.cleaned_data.get("DELETE")
            ]
            for problem in guide_publish_problems(requirement_count=len(requirements), office=cleaned.get("office")):
                self.add_error(problem.field, problem.message)
        return cleaned


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("¿Te fue útil esta guía?"),
        choices=[("si", _("Sí")), ("no", _("No"))],
        coerce=lambda value: value == "si",
        widget=forms.RadioSelect,
        error_messages={"required": _("Elige «Sí» o «No»."), "invalid_choice": _("Elige «Sí» o «No».")},
    )
    comment = forms.CharField(
        label=_("Comentario (opcional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        error_messages={"max_length": _("El comentario no puede superar los %(limit_value)d caracteres.")},
    )
