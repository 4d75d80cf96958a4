from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin as django_admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap as sitemap_view
from wagtail.documents import urls as wagtaildocs_urls

from ayni import web
from ayni.api import api
from ayni.health import health
from ayni.media import media_urlpatterns
from ayni.wagtail_api import api_router
from chatbot import uploads as chatbot_uploads
from chatbot import views as chatbot_views
from chatbot import views_figures as chatbot_figures
from cms import views as cms_views
from cms.feeds import NewsFeed
from search import views as search_views

urlpatterns = [
    path("health/", health, name="health"),
    path("robots.txt", web.robots_txt, name="robots_txt"),
    path("favicon.ico", web.favicon, name="favicon"),
    path("manifest.webmanifest", cms_views.web_manifest, name="web_manifest"),
    path("sitemap.xml", sitemap_view, {"sitemaps": {"pages": web.PortalSitemap}}, name="sitemap"),
    path("django-admin/", django_admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documentos/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("api/chat/foto/", chatbot_uploads.chat_photo, name="chat_photo"),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("tramites-opinion/<int:page_id>/", cms_views.guide_feedback, name="guide_feedback"),
    path("webhooks/whatsapp/", chatbot_views.whatsapp_webhook, name="whatsapp_webhook"),
]

# Only public media (Wagtail images) under /media/, in DEBUG and production alike;
# documents go through /documentos/ and dataset files through /datos/ (ayni.media).
urlpatterns += media_urlpatterns()

urlpatterns += i18n_patterns(
    path("buscar/", search_views.search, name="search"),
    path("datos/", include("opendata.urls")),
    path("participa/", include("participation.urls")),
    path("cuentas/", include("participation.urls_accounts")),
    path("noticias/feed/", NewsFeed(), name="news_feed"),
    path("asistente/cifras/", chatbot_figures.chat_figures, name="chat_figures"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
