"""Atom feed of the news (/noticias/feed/), in the language of the URL."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from wagtail.models import Locale

from cms.selectors import news_list, site_contact

FEED_SIZE = 20


class NewsFeed(Feed):
    """One instance serves every request: per-request state travels in the object, never on ``self``."""

    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        news = news_list().select_related("locale")
        localized = list(news.filter(locale=Locale.get_active())[:FEED_SIZE])
        # Without news in this language yet, the default language's news.
        return {"news": localized or list(news.filter(locale=Locale.get_default())[:FEED_SIZE])}

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        # xml:lang says the entries' language, which is Spanish when the news fall back to it.
        if obj["news"]:
            feed.feed["language"] = obj["news"][0].locale.language_code
        return feed

    def title(self):
        return _("Noticias · %(site)s") % {"site": site_contact().name}

    def subtitle(self):
        return _("Comunicados del municipio, los más recientes primero.")

    def link(self, obj):
        news = obj["news"]
        return (news[0].get_parent().url if news else None) or "/"

    def author_name(self):
        # Atom requires an author for the feed (or for every entry): the municipality.
        return site_contact().name

    def feed_url(self):
        return reverse("news_feed")

    def items(self, obj):
        return obj["news"]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or item.search_description or ""

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return timezone.make_aware(dt.datetime.combine(item.date, dt.time(8, 0)))

    def item_updateddate(self, item):
        return (item.last_published_at or self.item_pubdate(item)).replace(microsecond=0)
