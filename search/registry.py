"""What the portal's search covers: one entry per result type.

Adding a type is a one-place change: register a :class:`SearchType` in a
module named ``search_types.py`` inside your app. The search app imports
every installed app's ``search_types`` module when Django starts
(``django.utils.module_loading.autodiscover_modules``), so an app that is not
installed, or has no such module yet, is simply not searched.

How an app registers (e.g. ``participation/search_types.py``)::

    from django.utils.translation import gettext_lazy as _

    from search.registry import SearchDocumentData, SearchType, register


    def public_proposals():
        from participation.models import Proposal

        return Proposal.objects.filter(status=Proposal.Status.PUBLISHED)


    def proposal_document(proposal) -> SearchDocumentData:
        return SearchDocumentData(
            title=proposal.title,
            url=proposal.get_absolute_url(),
            slug=proposal.slug,
            strong=[],                       # names as strong as the title (aliases)
            text=[proposal.summary, proposal.body],  # first part = default snippet
        )


    register(
        SearchType(
            name="proposal",                 # one of KNOWN_TYPES, used by ?type=
            label=_("Propuestas"),
            model="participation.Proposal",  # "app_label.ModelName"
            queryset=public_proposals,       # only what anyone may see
            document=proposal_document,
            prefetch=("tags",),              # optional, for bulk rebuilds
        )
    )

Requirements on the model:

* It is a Wagtail/modelsearch indexed model (``wagtail.search.index.Indexed``
  with ``search_fields``: ``index.SearchField`` for the text, and
  ``index.FilterField`` for every field that ``queryset()`` filters on, which
  Elasticsearch needs). Wagtail then updates its index on every save through
  the task queue.
* ``queryset()`` returns only public objects; it is used both to search and
  to decide whether an object belongs in the results, so hiding an object
  (moderation, unpublishing) is just a save that takes it out of the queryset:
  on commit its document and its words leave at once
  (``search.services.object_search_sync``), never through the task queue.
  Use ``save()``, not ``QuerySet.update()``, for such changes; the results
  and suggestions also join on ``queryset()`` as a second line of defence.
* ``document(obj)`` returns the texts the portal ranks, highlights and
  suggests from; it must not depend on the request.

Nothing else is needed: ``cms.publishing`` refreshes the search documents
when a registered object is saved or deleted (pages: when published,
unpublished, moved or deleted), and ``manage.py update_index`` rebuilds
everything. Datasets register the same way with ``name="dataset"`` (title,
description and tags in ``text``, column names too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Every type the portal knows, in display order, with its interface label.
# Types whose app has not registered yet are accepted by ``?type=`` and return
# nothing.
KNOWN_TYPES: dict[str, Promise] = {
    "guide": _("Trámites"),
    "regulation": _("Normativa"),
    "transparency": _("Transparencia"),
    "news": _("Noticias"),
    "proposal": _("Propuestas"),
    "dataset": _("Datos abiertos"),
}


@dataclass(frozen=True)
class SearchDocumentData:
    """The texts of one searchable object, as ``SearchType.document`` returns them."""

    title: str
    url: str
    slug: str = ""
    strong: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    language: str = ""


@dataclass(frozen=True)
class SearchType:
    name: str
    label: Promise | str
    model: str
    queryset: Callable[[], QuerySet]
    document: Callable[[Model], SearchDocumentData]
    prefetch: tuple[str, ...] = ()
    # Multiplies the relevance of this type's results (1.0 = neutral).
    boost: float = 1.0

    def get_model(self) -> type[Model] | None:
        try:
            return apps.get_model(self.model)
        except (LookupError, ValueError):
            return None

    def get_queryset(self) -> QuerySet:
        return self.queryset()

    @property
    def is_page(self) -> bool:
        from wagtail.models import Page

        model = self.get_model()
        return model is not None and issubclass(model, Page)


_registry: dict[str, SearchType] = {}


def register(search_type: SearchType) -> SearchType:
    """Add a type; registering the same name again replaces it (reloads, tests)."""
    if not search_type.name.isidentifier():
        raise ValueError(f"Invalid search type name: {search_type.name!r}")
    if search_type.get_model() is None:
        logger.warning("Search type %r skipped: model %r is not installed", search_type.name, search_type.model)
        return search_type
    _registry[search_type.name] = search_type
    return search_type


def unregister(name: str) -> None:
    _registry.pop(name, None)


def get_types() -> list[SearchType]:
    """Registered types, known ones first in their display order."""
    order = list(KNOWN_TYPES)
    return sorted(_registry.values(), key=lambda t: (order.index(t.name) if t.name in order else len(order), t.name))


def get_type(name: str) -> SearchType | None:
    return _registry.get(name)


def type_names() -> list[str]:
    """Every name ``?type=`` accepts: known types and any other registered ones."""
    return list(dict.fromkeys([*KNOWN_TYPES, *_registry]))


def type_label(name: str) -> str:
    search_type = _registry.get(name)
    return str(search_type.label if search_type else KNOWN_TYPES.get(name, name))


def type_for_model(model: type[Model]) -> SearchType | None:
    """The registered type whose model is exactly ``model``."""
    for search_type in _registry.values():
        if search_type.get_model() is model:
            return search_type
    return None


def page_types() -> Iterable[SearchType]:
    return [t for t in get_types() if t.is_page]
