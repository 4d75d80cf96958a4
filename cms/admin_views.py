"""Admin screen «Importar guías»: upload → preview → confirm.

The uploaded file is kept server-side in a private temporary folder (never
under MEDIA_ROOT), named by a random token held in the editor's session; the
confirmation imports that same file again through ``cms.importers`` (which
validates everything once more), never data sent back by the browser.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction

from cms.importers import EXTENSIONS, ImportFileError, guide_index, import_guides

SESSION_KEY = "cms_guide_import"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STALE_SECONDS = 24 * 3600


def max_upload_bytes() -> int:
    return getattr(settings, "AYNI_GUIDE_IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)


def upload_dir() -> Path:
    folder = Path(getattr(settings, "AYNI_GUIDE_IMPORT_DIR", "") or Path(tempfile.gettempdir()) / "ayni-guide-imports")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def user_can_import(user) -> bool:
    index = guide_index()
    return bool(user and user.is_authenticated and index and index.permissions_for_user(user).can_add_subpage())


class GuideImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Archivo del catálogo"),
        help_text=gettext_lazy("YAML, CSV o XLSX, una fila por guía (ver README, «Contenido»)."),
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publicar las guías"),
        required=False,
        help_text=gettext_lazy("Si no lo marcas, las guías nuevas y los cambios quedan en borrador."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError(_("Formato no admitido: sube un archivo YAML, CSV o XLSX."))
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("El archivo supera el tamaño máximo de %(mb).0f MB.") % {"mb": max_upload_bytes() / 1024 / 1024}
            )
        return upload


def _remove_stale(folder: Path) -> None:
    now = time.time()
    for path in folder.glob("*.upload"):
        try:
            if now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()
        except OSError:
            pass


def _store(upload) -> str:
    folder = upload_dir()
    _remove_stale(folder)
    token = secrets.token_hex(16)
    descriptor = os.open(folder / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return token


def _stored_path(token: str) -> Path | None:
    if not (isinstance(token, str) and len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        return None
    path = upload_dir() / f"{token}.upload"
    return path if path.is_file() else None


def _discard(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    path = _stored_path(pending.get("token")) if isinstance(pending, dict) else None
    if path is not None:
        path.unlink(missing_ok=True)


def _render(request, template: str, context: dict, status: int = 200) -> TemplateResponse:
    context = {
        "page_title": _("Importar guías"),
        "header_title": _("Importar guías"),
        "header_icon": "upload",
        "max_mb": max_upload_bytes() / 1024 / 1024,
        **context,
    }
    return TemplateResponse(request, template, context, status=status)


def import_guides_view(request):
    """Upload a catalogue and see what importing it would do."""
    if not user_can_import(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, "cms/admin/import_upload.html", {"form": GuideImportForm()})
    form = GuideImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, "cms/admin/import_upload.html", {"form": form}, status=400)
    upload, publish = form.cleaned_data["file"], form.cleaned_data["publish"]
    _discard(request)
    token = _store(upload)
    path = _stored_path(token)
    try:
        result = import_guides(upload.name, path.read_bytes(), publish=publish, dry_run=True, user=request.user)
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        form.add_error("file", str(exc))
        return _render(request, "cms/admin/import_upload.html", {"form": form}, status=400)
    if result.errors:
        path.unlink(missing_ok=True)
    else:
        request.session[SESSION_KEY] = {"token": token, "name": upload.name, "publish": publish}
    return _render(
        request,
        "cms/admin/import_preview.html",
        {"result": result, "name": upload.name, "publish": publish, "token": token},
    )


def import_guides_confirm_view(request):
    """Import the file previewed in this session."""
    if not user_can_import(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("cms_import_guides")
    pending = request.session.get(SESSION_KEY)
    path = _stored_path(pending.get("token")) if isinstance(pending, dict) else None
    if path is None or request.POST.get("token") != pending.get("token"):
        messages.error(request, _("La vista previa expiró o no corresponde: vuelve a subir el archivo."))
        return redirect("cms_import_guides")
    try:
        result = import_guides(
            pending["name"], path.read_bytes(), publish=bool(pending.get("publish")), user=request.user
        )
    except ImportFileError as exc:
        _discard(request)
        messages.error(request, str(exc))
        return redirect("cms_import_guides")
    _discard(request)
    if not result.applied:
        return _render(
            request,
            "cms/admin/import_preview.html",
            {"result": result, "name": pending["name"], "publish": pending.get("publish"), "token": ""},
            status=400,
        )
    messages.success(
        request,
        _("Importación terminada: %(created)d creadas, %(updated)d actualizadas, %(unchanged)d sin cambios.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect(reverse("cms_import_guides"))


# --- Bulk publish ---------------------------------------------------------------


def page_publish_problems(page) -> list:
    """What the page's model objects to (``publish_problems()``) in the content publishing would make live."""
    specific = page.specific
    if not hasattr(specific, "publish_problems"):
        return []
    latest = specific.get_latest_revision_as_object() if specific.latest_revision_id else specific
    return latest.publish_problems()


class CheckedPublishBulkAction(PublishBulkAction):
    """Wagtail's bulk publish that leaves out the pages whose model objects (``GuidePage.publish_problems()``).

    The confirmation lists them with their problems; after publishing the rest,
    a message names them again, and draft subpages published with their parent
    ("include descendants") are checked the same way.
    """

    template_name = "cms/admin/bulk_publish.html"

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        publishable, refused = [], []
        for page in objects:
            problems = page_publish_problems(page)
            if problems:
                refused.append({"item": page.specific_deferred, "problems": problems})
            else:
                publishable.append(page)
        return publishable, {**extra, "items_with_problems": refused}

    def get_execution_context(self):
        self.refused_descendants: list = []
        return {**super().get_execution_context(), "refused": self.refused_descendants}

    def prepare_action(self, objects, objects_without_access):
        self.refused_pages = objects_without_access.get("items_with_problems", [])

    @classmethod
    def execute_action(cls, objects, include_descendants=False, user=None, refused=None, **kwargs):
        num_parent_objects = num_child_objects = 0
        for page in objects:
            if page_publish_problems(page):  # changed since the confirmation
                if refused is not None:
                    refused.append(page)
                continue
            num = super().execute_action([page], include_descendants=False, user=user)[0]
            num_parent_objects += num
            if include_descendants:
                for descendant in page.get_descendants().not_live().defer_streamfields().specific().iterator():
                    if user is not None and not descendant.permissions_for_user(user).can_publish():
                        continue
                    if page_publish_problems(descendant):
                        if refused is not None:
                            refused.append(descendant)
                        continue
                    revision = descendant.get_latest_revision() or descendant.save_revision(user=user)
                    revision.publish(user=user)
                    num_child_objects += 1
        return num_parent_objects, num_child_objects

    def form_valid(self, form):
        response = super().form_valid(form)
        refused = [entry["item"] for entry in getattr(self, "refused_pages", [])]
        refused += getattr(self, "refused_descendants", [])
        if refused:
            messages.error(
                self.request,
                _("No se publicaron, porque les falta lo necesario para publicarse: %(pages)s.")
                % {"pages": "; ".join(_title_and_problems(page) for page in refused)},
            )
        return response


def _title_and_problems(page) -> str:
    reasons = " ".join(problem.message for problem in page_publish_problems(page))
    return f"«{page.get_admin_display_title()}» ({reasons})"
