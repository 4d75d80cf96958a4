"""Datasets, their resources and the immutable versions of each resource."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from ayni.validators import validate_http_url
from opendata import vocab
from opendata.models.settings import default_licence


class DatasetQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def published(self):
        return self.filter(status=Dataset.Status.PUBLISHED)

    def with_related(self):
        return self.prefetch_related("tags", "resources__versions").select_related("ckan")


class DatasetTag(TaggedItemBase):
    content_object = models.ForeignKey("opendata.Dataset", on_delete=models.CASCADE, related_name="tagged_items")


class Dataset(index.Indexed, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        PUBLISHED = "published", _("Publicado")

    title = models.CharField(_("título"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, help_text=_("Forma parte del enlace permanente."))
    description = models.TextField(_("descripción"), blank=True)
    publisher = models.CharField(_("unidad que publica"), max_length=200, blank=True)
    licence = models.CharField(_("licencia"), max_length=20, choices=vocab.LICENCE_CHOICES, default=default_licence)
    temporal_start = models.DateField(_("cobertura desde"), null=True, blank=True)
    temporal_end = models.DateField(_("cobertura hasta"), null=True, blank=True)
    frequency = models.CharField(
        _("frecuencia de actualización"), max_length=20, choices=vocab.FREQUENCY_CHOICES, default="irregular"
    )
    theme = models.CharField(_("tema"), max_length=8, choices=vocab.THEME_CHOICES, default="GOVE")
    tags = TaggableManager(through=DatasetTag, blank=True, verbose_name=_("etiquetas"))
    contact_name = models.CharField(_("contacto"), max_length=200, blank=True)
    contact_email = models.EmailField(_("correo de contacto"), blank=True)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("versión"), default=1, editable=False)
    is_external = models.BooleanField(_("cosechado de otro portal"), default=False, editable=False)
    source_url = models.URLField(_("origen"), blank=True, editable=False, validators=[validate_http_url])
    # Column names of the current resource versions, kept for search.
    column_names = models.TextField(_("columnas"), blank=True, editable=False)
    published_at = models.DateTimeField(_("publicado"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    objects = DatasetQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.SearchField("description"),
        index.SearchField("column_names"),
        index.RelatedFields("tags", [index.SearchField("name", boost=2)]),
        index.FilterField("status"),
        index.FilterField("theme"),
    ]

    class Meta:
        ordering = ["title"]
        verbose_name = _("conjunto de datos")
        verbose_name_plural = _("conjuntos de datos")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("opendata:dataset", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def licence_info(self) -> vocab.Licence:
        return vocab.LICENCES[self.licence]


class Resource(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", _("Archivo (CSV, JSON o XLSX)")
        URL = "url", _("Enlace externo")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources", verbose_name=_("conjunto"))
    slug = models.SlugField(_("slug"), max_length=100, help_text=_("Forma parte del enlace de descarga."))
    title = models.CharField(_("título"), max_length=255, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    kind = models.CharField(_("tipo"), max_length=8, choices=Kind.choices, default=Kind.FILE)
    url = models.URLField(_("enlace externo"), max_length=1000, blank=True, validators=[validate_http_url])
    url_format = models.CharField(_("formato del enlace"), max_length=20, blank=True)
    sort_order = models.PositiveIntegerField(_("orden"), default=0)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        ordering = ["dataset", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["dataset", "slug"], name="opendata_resource_unique_slug")]
        verbose_name = _("recurso")
        verbose_name_plural = _("recursos")

    def __str__(self) -> str:
        return f"{self.dataset} · {self.title or self.slug}"

    @property
    def label(self) -> str:
        return self.title or self.slug

    def latest_version(self) -> ResourceVersion | None:
        versions = list(self.versions.all())  # prefetched by the selectors
        return max(versions, key=lambda v: v.number) if versions else None


def file_storage():
    """Where dataset files live: a private storage outside MEDIA_ROOT (served only by the download view)."""
    from django.core.files.storage import default_storage, storages

    return storages["opendata_private"] if "opendata_private" in settings.STORAGES else default_storage


def _upload_to(version: ResourceVersion, filename: str) -> str:
    resource = version.resource
    return f"opendata/{resource.dataset.slug}/{resource.slug}/v{version.number}/{filename}"


class ResourceVersion(models.Model):
    """One upload of a resource. Never changed or overwritten once stored."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions", verbose_name=_("recurso"))
    number = models.PositiveIntegerField(_("versión"))
    source_file = models.FileField(_("archivo subido"), upload_to=_upload_to, storage=file_storage, max_length=300)
    source_name = models.CharField(_("nombre original"), max_length=255)
    source_format = models.CharField(_("formato original"), max_length=8)
    # The parsed table as UTF-8 CSV (raw values): every export is made from it.
    table_file = models.FileField(_("tabla normalizada"), upload_to=_upload_to, storage=file_storage, max_length=300)
    encoding = models.CharField(_("codificación"), max_length=20, blank=True)
    delimiter = models.CharField(_("separador"), max_length=4, blank=True)
    sheet = models.CharField(_("hoja"), max_length=100, blank=True)
    columns = models.JSONField(_("columnas"), default=list)
    row_count = models.PositiveIntegerField(_("filas"))
    byte_size = models.PositiveBigIntegerField(_("tamaño"))
    sha256 = models.CharField(_("huella SHA-256 de la tabla"), max_length=64)
    uploaded_at = models.DateTimeField(_("subido"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"], name="opendata_version_unique_number")]
        verbose_name = _("versión de recurso")
        verbose_name_plural = _("versiones de recursos")

    def __str__(self) -> str:
        return f"{self.resource} · v{self.number}"

    @property
    def column_names(self) -> list[str]:
        return [column["name"] for column in self.columns]
