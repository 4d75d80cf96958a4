"""Wagtail admin: staff publish datasets and upload resource versions here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from opendata import selectors, services
from opendata.forms import ResourceAdminForm
from opendata.models import CkanOutbox, Dataset, Resource


class CkanStatusPanel(Panel):
    """Read-only: the dataset's CKAN id, last synced version and time, and the last error."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "opendata/admin/ckan_status_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context.update(selectors.ckan_status(dataset=self.instance))
            return context

        def is_shown(self):
            return bool(self.instance and self.instance.pk)


class ServiceFormMixin:
    """Saves through the services; their ValidationErrors go back to the form."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            form.add_error(None, exc.messages if hasattr(exc, "error_dict") else exc)
            self.produced_error_message = getattr(self, "error_message", None)
            return self.form_invalid(form)


class DatasetSaveMixin(ServiceFormMixin):
    log_action = "wagtail.edit"

    def save_instance(self):
        dataset = self.form.save(commit=False)
        tags = [str(tag) for tag in self.form.cleaned_data.get("tags", [])]
        dataset = services.dataset_save(dataset=dataset, tags=tags)
        log(instance=dataset, action=self.log_action, user=self.request.user)
        return dataset


class DatasetCreateView(DatasetSaveMixin, generic.CreateView):
    log_action = "wagtail.create"


class DatasetEditView(DatasetSaveMixin, generic.EditView):
    pass


class DatasetDeleteView(generic.DeleteView):
    def delete_action(self):
        log(instance=self.object, action="wagtail.delete", user=self.request.user)
        services.dataset_delete(dataset=self.object)


def _ckan(attr, empty="—"):
    def accessor(dataset):
        state = getattr(dataset, "ckan", None) if hasattr(dataset, "ckan") else None
        value = getattr(state, attr, None) if state else None
        return value if value not in (None, "") else empty

    return accessor


class DatasetViewSet(ModelViewSet):
    model = Dataset
    icon = "table"
    menu_label = _("Conjuntos de datos")
    add_view_class = DatasetCreateView
    edit_view_class = DatasetEditView
    delete_view_class = DatasetDeleteView
    list_filter = ["status", "theme", "licence"]
    search_fields = ["title", "description", "slug"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "title",
        "status",
        "version",
        Column("ckan_id", label=_("Id en CKAN"), accessor=_ckan("ckan_id")),
        Column("ckan_version", label=_("Versión en CKAN"), accessor=_ckan("synced_version")),
        DateColumn("ckan_synced", label=_("Sincronizado"), accessor=_ckan("synced_at", empty=None)),
        Column("ckan_error", label=_("Último error de CKAN"), accessor=_ckan("last_error")),
    ]
    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("status")],
            heading=_("Conjunto de datos"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("publisher"), FieldPanel("licence")]),
                FieldRowPanel([FieldPanel("temporal_start"), FieldPanel("temporal_end")]),
                FieldRowPanel([FieldPanel("frequency"), FieldPanel("theme")]),
                FieldPanel("tags"),
                FieldRowPanel([FieldPanel("contact_name"), FieldPanel("contact_email")]),
            ],
            heading=_("Metadatos"),
        ),
        CkanStatusPanel(heading=_("Portal CKAN")),
    ]

    def get_queryset(self, request):
        return Dataset.objects.select_related("ckan")


class ResourceSaveMixin(ServiceFormMixin):
    log_action = "wagtail.edit"

    def save_instance(self):
        resource = services.resource_save(resource=self.form.save(commit=False))
        if self.form.upload_bytes is not None:
            upload = self.form.cleaned_data["upload"]
            services.resource_version_upload(
                resource=resource,
                filename=upload.name,
                data=self.form.upload_bytes,
                sheet=self.form.cleaned_data.get("sheet", ""),
                user=self.request.user,
                table=self.form.parsed_table,
            )
        log(instance=resource, action=self.log_action, user=self.request.user)
        return resource


class ResourceCreateView(ResourceSaveMixin, generic.CreateView):
    log_action = "wagtail.create"


class ResourceEditView(ResourceSaveMixin, generic.EditView):
    pass


class ResourceDeleteView(generic.DeleteView):
    def delete_action(self):
        log(instance=self.object, action="wagtail.delete", user=self.request.user)
        services.resource_delete(resource=self.object)


def _latest(attr):
    def accessor(resource):
        version = resource.latest_version()
        return getattr(version, attr) if version else "—"

    return accessor


class ResourceViewSet(ModelViewSet):
    model = Resource
    icon = "doc-full"
    menu_label = _("Recursos")
    add_view_class = ResourceCreateView
    edit_view_class = ResourceEditView
    delete_view_class = ResourceDeleteView
    list_filter = ["dataset", "kind"]
    search_fields = ["title", "slug", "dataset__title"]
    search_backend_name = None
    copy_view_enabled = False
    list_display = [
        "__str__",
        "slug",
        "kind",
        Column("latest_version", label=_("Versión vigente"), accessor=_latest("number")),
        Column("rows", label=_("Filas"), accessor=_latest("row_count")),
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("dataset"),
            FieldRowPanel([FieldPanel("slug"), FieldPanel("title")]),
            FieldPanel("description"),
            FieldPanel("kind"),
            FieldRowPanel([FieldPanel("upload"), FieldPanel("sheet")], heading=_("Archivo")),
            FieldRowPanel([FieldPanel("url"), FieldPanel("url_format")], heading=_("Enlace externo")),
            FieldPanel("sort_order"),
        ],
        base_form_class=ResourceAdminForm,
    )

    def get_queryset(self, request):
        return Resource.objects.select_related("dataset").prefetch_related("versions")


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Entries are written by the bridge only; staff can look, not change."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)


register_permission_policy(CkanOutbox, ReadOnlyPolicy(CkanOutbox))


class CkanOutboxViewSet(ModelViewSet):
    """Read-only view of what is waiting for CKAN, and what CKAN rejected."""

    model = CkanOutbox
    icon = "resubmit"
    menu_label = _("Cola hacia CKAN")
    list_display = ["ckan_name", "action", "state", "attempts", "next_attempt_at", "last_error", "created_at"]
    list_filter = ["state", "action"]
    search_fields = ["ckan_name", "last_error"]
    search_backend_name = None
    form_fields = ["ckan_name"]
    inspect_view_enabled = True
    copy_view_enabled = False
    ordering = ["-created_at"]


ckan_outbox_viewset = CkanOutboxViewSet("ckan_outbox")


class OpenDataGroup(ViewSetGroup):
    menu_label = _("Datos abiertos")
    menu_icon = "table"
    menu_order = 250
    items = (
        DatasetViewSet("opendata_datasets"),
        ResourceViewSet("opendata_resources"),
        ckan_outbox_viewset,
    )


@hooks.register("register_admin_viewset")
def register_opendata_viewsets():
    return OpenDataGroup()


@hooks.register("construct_homepage_summary_items")
def add_ckan_outbox_summary_items(request, items):
    """Dashboard: outbox entries CKAN refused, and those waiting to be tried again after an error."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from ayni.dashboard import CountSummaryItem

    shown = ckan_outbox_viewset.permission_policy.user_has_permission(request.user, "view")
    index = reverse(ckan_outbox_viewset.get_url_name("index"))
    counts = {}

    def count(key):
        if not counts:
            counts.update(selectors.ckan_outbox_error_counts())
        return counts[key]

    items += [
        CountSummaryItem(
            request,
            count=lambda: count("failed"),
            label=lambda n: (
                ngettext("%(count)d cambio rechazado por CKAN", "%(count)d cambios rechazados por CKAN", n)
                % {"count": n}
            ),
            url=f"{index}?state={CkanOutbox.State.FAILED}",
            icon="warning",
            order=190,
            shown=shown,
        ),
        CountSummaryItem(
            request,
            count=lambda: count("retrying"),
            label=lambda n: (
                ngettext(
                    "%(count)d cambio para CKAN por reintentar tras un error",
                    "%(count)d cambios para CKAN por reintentar tras un error",
                    n,
                )
                % {"count": n}
            ),
            url=f"{index}?state={CkanOutbox.State.PENDING}",
            icon="resubmit",
            order=191,
            shown=shown,
        ),
    ]
