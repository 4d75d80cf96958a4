from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class GuidePageForm(WagtailAdminPageForm):
    """Refuses to publish a guide that ``GuidePage.publish_problems()`` objects to; a draft is always saved.

    Each problem is shown next to its field, or above its inline panel
    (requirements, steps, legal basis).
    """

    def clean(self):
        cleaned = super().clean()
        if "action-publish" in self.data:
            for problem in self._guide_as_submitted(cleaned).publish_problems():
                formset = self.formsets.get(problem.field or "")
                if formset is not None:
                    formset.non_form_errors().append(problem.message)
                elif problem.field in self.fields:
                    if problem.field not in self.errors:  # an invalid value is already explained
                        self.add_error(problem.field, problem.message)
                else:
                    self.add_error(None, problem.message)
        return cleaned

    def _guide_as_submitted(self, cleaned):
        """An unsaved guide with the submitted fields and inline rows (the form's instance is left alone)."""
        from cms.models import GuideLegalBasis, GuidePage, GuideRequirement, GuideStep

        names = ("summary", "cost_amount", "cost_text", "duration_days", "duration_text", "office", "online")
        page = GuidePage(**{name: cleaned.get(name) for name in names if name in self.fields})
        page.online_url = cleaned.get("online_url") or ""
        page.requirements = [GuideRequirement(text=row["text"]) for row in self._rows("requirements", "text")]
        page.steps = [GuideStep(text=row["text"]) for row in self._rows("steps", "text")]
        legal_basis = self._rows("legal_basis", "regulation")
        page.legal_basis = [GuideLegalBasis(regulation=row["regulation"]) for row in legal_basis]
        return page

    def _rows(self, name: str, key: str) -> list[dict]:
        """The cleaned data of the valid, not deleted rows of an inline panel that have a ``key``."""
        formset = self.formsets.get(name)
        if formset is None:
            return []
        return [
            form.cleaned_data
            for form in formset.forms
            if form.is_valid() and form.cleaned_data.get(key) and not form.cleaned_data.get("DELETE")
        ]


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
