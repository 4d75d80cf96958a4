"""Derived search state: documents, vocabulary, visit counts, zero-result queries.

Everything here except visit counts and the zero-result report can be rebuilt
from content with ``manage.py update_index``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from search.analysis import words


class SearchDocument(models.Model):
    """What the portal ranks, highlights and suggests from, one row per public object.

    Kept in step with publishing by ``cms.publishing``; the search backend
    (database or Elasticsearch) finds candidates, this table explains them.
    """

    kind = models.CharField(_("tipo"), max_length=30)
    object_id = models.CharField(_("identificador"), max_length=64)
    language = models.CharField(_("idioma"), max_length=10, blank=True, db_index=True)
    title = models.CharField(_("título"), max_length=500)
    url = models.CharField(_("dirección"), max_length=1000)
    slug = models.CharField(_("slug"), max_length=255, blank=True)
    strong = models.TextField(_("nombres alternativos"), blank=True, help_text=_("Uno por línea."))
    text = models.TextField(_("texto"), blank=True, help_text=_("Una parte por línea; la primera es el resumen."))
    # " word word " lines of folded words, for accent-insensitive prefix matching.
    title_words = models.TextField(blank=True)
    strong_words = models.TextField(blank=True)
    text_words = models.TextField(blank=True)  # distinct folded words of the text, for ranking
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique_object")]
        verbose_name = _("documento de búsqueda")
        verbose_name_plural = _("documentos de búsqueda")

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"

    @property
    def strong_lines(self) -> list[str]:
        return [line for line in self.strong.splitlines() if line.strip()]

    @property
    def text_lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def vocabulary(self) -> set[str]:
        return set(words(self.title)) | set(words(self.strong)) | set(words(self.text))


class SearchTerm(models.Model):
    """The vocabulary of indexed content: typos and stems are corrected against it."""

    word = models.CharField(_("palabra"), max_length=60, unique=True)
    stem = models.CharField(_("raíz"), max_length=60, db_index=True)
    documents = models.PositiveIntegerField(_("documentos"), default=0)

    class Meta:
        verbose_name = _("término del vocabulario")
        verbose_name_plural = _("vocabulario de búsqueda")

    def __str__(self) -> str:
        return self.word


class PageVisitCount(models.Model):
    """How often a page was served (cached hits included); feeds "most visited guides"."""

    page = models.OneToOneField(
        "wagtailcore.Page", verbose_name=_("página"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    visits = models.PositiveBigIntegerField(_("visitas"), default=0)

    class Meta:
        verbose_name = _("visitas de una página")
        verbose_name_plural = _("visitas de páginas")

    def __str__(self) -> str:
        return f"{self.page_id}: {self.visits}"


class ZeroResultQuery(models.Model):
    """A query that found nothing, so editors can add aliases or content."""

    query = models.CharField(_("búsqueda (normalizada)"), max_length=200, unique=True)
    example = models.CharField(_("búsqueda tal como se escribió"), max_length=200)
    count = models.PositiveIntegerField(_("veces"), default=0)
    first_seen = models.DateTimeField(_("primera vez"), default=timezone.now)
    last_seen = models.DateTimeField(_("última vez"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-count", "-last_seen"]
        verbose_name = _("búsqueda sin resultados")
        verbose_name_plural = _("búsquedas sin resultados")

    def __str__(self) -> str:
        return self.example


class ZeroResultHandled(models.Model):
    """Staff dealt with a group of zero-result searches (issue 13, item 4).

    ``key`` is the group's sorted stemmed content words (``search.selectors.similar_key``);
    the group stays hidden until it is searched again after ``handled_at``.
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
        verbose_name = _("búsqueda sin resultados atendida")
        verbose_name_plural = _("búsquedas sin resultados atendidas")

    def __str__(self) -> str:
        return self.key
