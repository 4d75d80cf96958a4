"""The admin dashboard's building block shared by the apps: a count that links to its list.

Each app adds its own items and panels in its ``wagtail_hooks.py``
(``construct_homepage_summary_items`` / ``construct_homepage_panels``), shown only
to those who may open the list the count links to, with the data from its own
selectors.
"""

from __future__ import annotations

from wagtail.admin.site_summary import SummaryItem


class CountSummaryItem(SummaryItem):
    """«N things» linking to the screen that lists them; ``count`` is a callable run when the item is shown."""

    template_name = "ayni/dashboard/count_summary_item.html"

    def __init__(self, request, *, count, label, url: str, icon: str, order: int, shown: bool = True):
        super().__init__(request)
        self.count, self.label, self.url, self.icon, self.order, self.shown = count, label, url, icon, order, shown

    def is_shown(self) -> bool:
        return self.shown

    def get_context_data(self, parent_context=None) -> dict:
        count = self.count()
        return {"count": count, "label": self.label(count), "url": self.url, "icon": self.icon}
