"""Signals cms sends for the apps above it (docs/DESIGN.md, "Layers").

cms knows nothing of who listens: the search app counts visits and refreshes its
index from these (search.signals).
"""

from django.dispatch import Signal

# A public page was served to somebody (a cached copy included); args: page_id.
page_viewed = Signal()

# The pages published inside ``cms.publishing.publishing_batched()``; args: page_ids (a frozenset).
pages_published_in_bulk = Signal()
