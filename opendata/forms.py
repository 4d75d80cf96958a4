"""Admin forms: uploads are validated through the services before anything is stored."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from opendata import services
from opendata.models import Resource


class ResourceAdminForm(WagtailAdminModelForm):
    upload = forms.FileField(
        label=gettext_lazy("Subir una nueva versión"),
        required=False,
        help_text=gettext_lazy("CSV (UTF-8 o Latin-1), JSON o XLSX. La versión anterior se conserva."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,.xlsx"}),
    )
    sheet = forms.CharField(
        label=gettext_lazy("Hoja del libro XLSX"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Solo si el libro tiene varias hojas."),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        self.parsed_table = None
        self.upload_bytes = None
        kind = cleaned.get("kind")
        if upload:
            if kind == Resource.Kind.URL:
                self.add_error("upload", _("Un recurso de tipo enlace no admite archivos."))
                return cleaned
            limit = services.max_upload_bytes()
            if upload.size > limit:
                self.add_error(
                    "upload",
                    _("El archivo pesa %(size).1f MB y el máximo permitido es %(max)d MB.")
                    % {"size": upload.size / 1_048_576, "max": settings.OPENDATA_MAX_UPLOAD_MB},
                )
                return cleaned
            data = upload.read()
            try:
                self.parsed_table = services.resource_upload_check(
                    filename=upload.name, data=data, sheet=cleaned.get("sheet", "")
                )
            except ValidationError as exc:
                self.add_error("upload", exc)
            else:
                self.upload_bytes = data
        elif kind == Resource.Kind.FILE and not (self.instance.pk and self.instance.versions.exists()):
            self.add_error("upload", _("Suba el archivo del recurso."))
        return cleaned
