"""Base settings: everything comes from the environment with embedded defaults.

Integrations live in their own modules (database, cache/channels/tasks,
search, ckan, rasa, whatsapp), each enabled by its environment variable.
"""

from datetime import timedelta

from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from ayni.csp import websocket_sources
from ayni.env import BASE_DIR, VAR_DIR, env, env_bool, env_int, env_list, secret_key

SECRET_KEY = secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "ayni",
    "cms",
    "participation",
    "opendata",
    "chatbot",
    "search",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "ninja",  # /api/docs/ from local static files (no CDN, no inline script)
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "axes",
]

MIDDLEWARE = [
    # First, so that it sees every request and its final status; it logs no client address.
    "ayni.access_log.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above the page cache: pages answered from the cache carry the policy too.
    "ayni.csp.PortalCSPMiddleware",
    # Every error answer under /api/ is JSON (an unknown path's 404, a 405, a 500…).
    "ayni.api_errors.ApiJsonErrorsMiddleware",
    # A NUL character in the path, query string or form fields is a 400 (with the CSP header).
    "ayni.middleware.RejectNulMiddleware",
    # Anonymous page hits are answered here, before sessions and Wagtail routing.
    "cms.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: turns a login lockout (django-axes) into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ayni.urls"
WSGI_APPLICATION = "ayni.wsgi.application"
ASGI_APPLICATION = "ayni.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ayni" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "cms.context_processors.portal",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages -------------------------------------------------------------
# Django knows neither Aymara nor Quechua: register them so that Django,
# Wagtail and wagtail-localize accept them as content languages.
LANG_INFO.update(
    {
        "ay": {"bidi": False, "code": "ay", "name": "Aymara", "name_local": "Aymar aru"},
        "qu": {"bidi": False, "code": "qu", "name": "Quechua", "name_local": "Runa simi"},
    }
)
LANGUAGE_CODE = "es"
LANGUAGES = [
    ("es", _("Español")),
    ("en", _("English")),
    ("ay", _("Aymara")),
    ("qu", _("Quechua")),
]
# The interface (and the admin) is offered in Spanish and English; Aymara and
# Quechua are content languages translated with wagtail-localize.
INTERFACE_LANGUAGES = ["es", "en"]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("es", "Español"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/La_Paz"
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS: list = []  # ayni/static is found as an installed app
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Dataset files (uploads, normalised tables, exports) are served only by the
# opendata download view, which checks publication: never under MEDIA_ROOT.
STORAGES["opendata_private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
}
# /media/ (ayni.media) serves only these prefixes of MEDIA_ROOT: Wagtail images
# (originals and renditions), which Wagtail treats as public. Documents are
# served only by Wagtail's document view (/documentos/<id>/<name>), which
# checks collection privacy.
AYNI_MEDIA_PUBLIC_PREFIXES = ["original_images/", "images/"]
# How the dataset download view hands the bytes over: "" streams them from
# Django; "x-accel-redirect" (nginx, internal location AYNI_SENDFILE_LOCATION mapped
# to var/private) or "x-sendfile" (Apache/lighttpd) lets the web server send them.
AYNI_SENDFILE = env("AYNI_SENDFILE", "")
AYNI_SENDFILE_LOCATION = env("AYNI_SENDFILE_LOCATION", "/protected/")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Wagtail -------------------------------------------------------------
WAGTAIL_SITE_NAME = env("AYNI_SITE_NAME", "Gobierno Autónomo Municipal de Ejemplo")
WAGTAILADMIN_BASE_URL = env("AYNI_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "json", "odt", "ods", "pdf", "txt", "xlsx"]
# Documents only through Wagtail's serve view, which enforces collection view restrictions.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAILAPI_LIMIT_MAX = 100

# --- Security (production.py tightens the rest) ---------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Portal ------------------------------------------------------------------
AYNI_MUNICIPALITY_PHONE = env("AYNI_MUNICIPALITY_PHONE", "800-13-5555")


def _bbox(value: str) -> tuple[float, float, float, float]:
    """ "min_lon,min_lat,max_lon,max_lat" (WGS84 degrees) as four floats, checked at start-up."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise ImproperlyConfigured("AYNI_MUNICIPALITY_BBOX: min_lon,min_lat,max_lon,max_lat") from exc
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ImproperlyConfigured("AYNI_MUNICIPALITY_BBOX: min_lon,min_lat,max_lon,max_lat")
    return min_lon, min_lat, max_lon, max_lat


# The municipality's bounding box: a point sent by a resident (a WhatsApp location)
# outside it is refused. The default covers the demo municipality (Cercado, Cochabamba).
AYNI_MUNICIPALITY_BBOX = _bbox(env("AYNI_MUNICIPALITY_BBOX", "-66.35,-17.50,-66.00,-17.25"))
# Rendered guide pages are cached for anonymous visitors; the key carries the
# page's publication time, so publishing a new revision purges it.
AYNI_PAGE_CACHE_SECONDS = env_int("AYNI_PAGE_CACHE_SECONDS", 600)
AYNI_FEEDBACK_RATE = env_int("AYNI_FEEDBACK_RATE", 5)  # per client per window
AYNI_FEEDBACK_WINDOW_SECONDS = env_int("AYNI_FEEDBACK_WINDOW_SECONDS", 600)
# Open data: the largest dataset file staff may upload (CSV, JSON or XLSX).
OPENDATA_MAX_UPLOAD_MB = env_int("OPENDATA_MAX_UPLOAD_MB", 50)
# Participation figures published as open data: counts under this threshold are
# shown as "<N" and left out of totals, so that no cell singles anyone out.
AYNI_OPENDATA_MIN_CELL = env_int("AYNI_OPENDATA_MIN_CELL", 5)

# Participation (proposals, supports, complaints). Accounts live at /cuentas/.
LOGIN_URL = "/cuentas/ingresar/"
LOGIN_REDIRECT_URL = "/participa/propuestas/"
LOGOUT_REDIRECT_URL = "/participa/propuestas/"
AYNI_EMAIL_VERIFICATION_MAX_AGE = env_int("AYNI_EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
AYNI_PROPOSAL_SUPPORT_THRESHOLD = env_int("AYNI_PROPOSAL_SUPPORT_THRESHOLD", 50)
AYNI_REPORTS_TO_HIDE = env_int("AYNI_REPORTS_TO_HIDE", 3)
# The verification level an account needs for each action (participation/rules.py):
# "email" (its e-mail confirmed) or "identity" (proven by the OpenID Connect provider).
# These and AYNI_LEVEL_THRESHOLD are the initial values: staff change them in the admin
# (Propiedades > Participación ciudadana, participation.ParticipationSettings).
AYNI_ACTION_LEVELS = {
    "support": env("AYNI_LEVEL_SUPPORT", "email"),
    "propose": env("AYNI_LEVEL_PROPOSE", "email"),
    "comment": env("AYNI_LEVEL_COMMENT", "email"),
    "report": env("AYNI_LEVEL_REPORT", "email"),
}
# Which supports count towards AYNI_PROPOSAL_SUPPORT_THRESHOLD: every support ("email")
# or only those of residents whose identity the provider proved ("identity").
AYNI_LEVEL_THRESHOLD = env("AYNI_LEVEL_THRESHOLD", "email")
if not {*AYNI_ACTION_LEVELS.values(), AYNI_LEVEL_THRESHOLD} <= {"email", "identity"}:
    raise ValueError("AYNI_LEVEL_SUPPORT/PROPOSE/COMMENT/REPORT/THRESHOLD: use email or identity")
AYNI_PROPOSAL_BODY_MAX = 5000
AYNI_COMPLAINT_DESCRIPTION_MAX = 5000
# Business days to answer a complaint, per type (default 10), counted without
# weekends, the national holidays of AYNI_HOLIDAY_COUNTRY and AYNI_HOLIDAYS
# (comma-separated ISO dates, e.g. municipal anniversaries).
AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT = env_int("AYNI_COMPLAINT_BUSINESS_DAYS", 10)
AYNI_COMPLAINT_BUSINESS_DAYS = {
    "reclamo": env_int("AYNI_CLAIM_BUSINESS_DAYS", AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT),
    "denuncia": env_int("AYNI_REPORT_BUSINESS_DAYS", AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT),
    "sugerencia": env_int("AYNI_SUGGESTION_BUSINESS_DAYS", AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT),
}
AYNI_HOLIDAY_COUNTRY = env("AYNI_HOLIDAY_COUNTRY", "BO")
AYNI_HOLIDAYS = env_list("AYNI_HOLIDAYS", [])
# Contact details (e-mail, WhatsApp) of a closed case are erased after this many days.
AYNI_COMPLAINT_CONTACT_RETENTION_DAYS = env_int("AYNI_COMPLAINT_CONTACT_RETENTION_DAYS", 180)
# A case "vence pronto" this many days before its due date: the admin dashboard counts it and the
# staff who handle it get one reminder e-mail a day (participation.services.notices).
AYNI_COMPLAINT_DUE_SOON_DAYS = env_int("AYNI_COMPLAINT_DUE_SOON_DAYS", 2)
AYNI_ATTACHMENT_MAX_COUNT = 3
AYNI_ATTACHMENT_MAX_BYTES = env_int("AYNI_ATTACHMENT_MAX_MB", 5) * 1024 * 1024
# Uploaded images are refused from their header (before decoding) above this many
# pixels, for attachments (participation.uploads) and Wagtail images alike.
AYNI_IMAGE_MAX_PIXELS = env_int("AYNI_IMAGE_MAX_PIXELS", 24_000_000)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = AYNI_IMAGE_MAX_PIXELS
# Wagtail decodes an upload before comparing its pixels with the setting above.
# Pillow checks its own limit in Image.open, from the header, and refuses (raises
# DecompressionBombError, which Wagtail reports as "too many pixels") above twice
# MAX_IMAGE_PIXELS: half the portal's limit makes that refusal happen first. Its
# warning (between half and the whole limit) is noise here.
import warnings as _warnings  # noqa: E402

from PIL import Image as _PILImage  # noqa: E402

_PILImage.MAX_IMAGE_PIXELS = (AYNI_IMAGE_MAX_PIXELS + 1) // 2
_warnings.filterwarnings("ignore", category=_PILImage.DecompressionBombWarning)
# PDF attachments are rewritten page by page (without metadata); longer ones are refused.
AYNI_PDF_MAX_PAGES = env_int("AYNI_PDF_MAX_PAGES", 100)
# Complaint attachments never go under MEDIA_ROOT (which is served publicly).
STORAGES["participation_private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
}
# Reverse proxies in front of the portal that append to X-Forwarded-For
# (ayni.clients): 0 means the TCP peer is the client and the header is ignored.
AYNI_TRUSTED_PROXIES = env_int("AYNI_TRUSTED_PROXIES", 0)
# Requests per client (one-way key of the client address, see ayni.clients) and window in seconds.
AYNI_PARTICIPATION_RATES = {
    "register": (env_int("AYNI_RATE_REGISTER", 5), 3600),
    # register_notice (mail to an existing account's owner about a registration
    # attempt) and password_reset_email count per address (a one-way key of the
    # e-mail); password_reset counts per client.
    "register_notice": (env_int("AYNI_RATE_REGISTER_NOTICE", 3), 3600),
    "password_reset": (env_int("AYNI_RATE_PASSWORD_RESET", 5), 3600),
    "password_reset_email": (env_int("AYNI_RATE_PASSWORD_RESET_EMAIL", 3), 3600),
    "proposal": (env_int("AYNI_RATE_PROPOSAL", 5), 3600),
    "comment": (env_int("AYNI_RATE_COMMENT", 20), 600),
    "support": (env_int("AYNI_RATE_SUPPORT", 60), 600),
    "report": (env_int("AYNI_RATE_REPORT", 20), 600),
    "complaint": (env_int("AYNI_RATE_COMPLAINT", 5), 600),
    "tracking": (env_int("AYNI_RATE_TRACKING", 20), 600),
}
# POST /api/chat/ and /ws/chat/ messages per client per window (seconds).
AYNI_CHAT_RATE = (env_int("AYNI_CHAT_RATE", 30), 60)

# Login throttling on every login form (/cuentas/ingresar/, /admin/login/,
# /django-admin/) with django-axes: after AYNI_LOGIN_FAILURE_LIMIT failures of
# one username from one client, that pair is locked for AYNI_LOGIN_COOLOFF_MINUTES.
# The failure counts live in the cache only (AxesCacheHandler): no client
# address, user agent or attempt ever lands in the database, and each count
# expires with its cool-off. The client is ayni.clients' keyed hash of the real
# address (AYNI_TRUSTED_PROXIES), never X-Forwarded-For as sent, and the log
# lines name the path only. Keyed on username + client so that a shared address
# (mobile carrier NAT) cannot lock out everyone behind it, and nobody can lock a
# resident out from elsewhere; failures for unknown usernames count the same, so
# the lockout says nothing about whether an account exists.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
    "participation.oidc.Backend",  # OpenID Connect (ayni/settings/oidc.py); does nothing while off
]
AYNI_LOGIN_FAILURE_LIMIT = env_int("AYNI_LOGIN_FAILURE_LIMIT", 5)
AYNI_LOGIN_COOLOFF_MINUTES = env_int("AYNI_LOGIN_COOLOFF_MINUTES", 15)
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = AYNI_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=AYNI_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "ayni.clients.login_client"
AXES_USERNAME_CALLABLE = "ayni.clients.login_username"
AXES_CLIENT_STR_CALLABLE = "ayni.clients.login_log_str"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_CALLABLE = "participation.views.accounts.login_locked_out"

# Notification channels (ayni.notifications; each written by the app it needs): add one here.
AYNI_NOTIFICATION_CHANNELS = [
    "participation.notifications.SiteChannel",
    "ayni.notifications.EmailChannel",
    "chatbot.notifications.WhatsAppChannel",
]
# Changes within this many seconds go out as one message (ayni.notifications.notify_grouped; 0: each at once).
AYNI_NOTIFY_GROUP_SECONDS = env_int("AYNI_NOTIFY_GROUP_SECONDS", 300)
# Where pages open their live-count websocket; empty means the page's own host.
AYNI_WEBSOCKET_ORIGIN = env("AYNI_WEBSOCKET_ORIGIN", "")

# Content-Security-Policy (django-csp, ayni.csp): no inline script or style on
# public pages (JSON-LD and json_script data blocks are not executed, so need no
# hash). Report-only while DEBUG is on; production.py always enforces it. The
# staff back offices (Wagtail's admin, Django's admin), whose own templates use
# inline scripts and styles, get a looser policy: AYNI_CSP_PATH_DIRECTIVES.
AYNI_CSP_DIRECTIVES = {
    "default-src": [CSP_SELF],
    "script-src": [CSP_SELF],
    "style-src": [CSP_SELF],
    "img-src": [CSP_SELF, "data:"],
    "font-src": [CSP_SELF],
    # 'self' covers ws(s):// of the page's own host in CSP Level 3 browsers.
    "connect-src": [CSP_SELF, *websocket_sources(WAGTAILADMIN_BASE_URL, AYNI_WEBSOCKET_ORIGIN)],
    "frame-ancestors": [CSP_SELF],
    "object-src": [CSP_NONE],
    "base-uri": [CSP_SELF],
    "form-action": [CSP_SELF],
}
_CSP_STAFF = {
    "script-src": [CSP_SELF, CSP_UNSAFE_INLINE],
    "style-src": [CSP_SELF, CSP_UNSAFE_INLINE],
    # Avatars (Gravatar), remote images and embed previews in the editor.
    "img-src": [CSP_SELF, "data:", "blob:", "https:"],
    "frame-src": [CSP_SELF, "https:"],
    "connect-src": [*AYNI_CSP_DIRECTIVES["connect-src"], "https://releases.wagtail.org"],
}
# (path prefix, directives that replace the default ones) for the first prefix that matches.
AYNI_CSP_PATH_DIRECTIVES = [
    ("/admin/", _CSP_STAFF),
    ("/django-admin/", _CSP_STAFF),
    # Swagger UI (django-ninja's local copy) sets style attributes.
    ("/api/docs/", {"style-src": [CSP_SELF, CSP_UNSAFE_INLINE]}),
]
CONTENT_SECURITY_POLICY = None if DEBUG else {"DIRECTIVES": AYNI_CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": AYNI_CSP_DIRECTIVES} if DEBUG else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": env("TASKS_LOG_LEVEL", "WARNING")},
        # pywa logs each request to the Graph API (the recipient's number and the text) at DEBUG.
        "pywa": {"level": "WARNING"},
        # The servers' debug lines name the client's address: never below WARNING (ayni/server.py;
        # daphne is what `manage.py runserver` runs).
        "daphne": {"level": "WARNING"},
        "uvicorn": {"level": "WARNING"},
        "gunicorn": {"level": "WARNING"},
    },
}

from .ckan import *  # noqa: E402,F401,F403
from .database import *  # noqa: E402,F401,F403
from .email import *  # noqa: E402,F401,F403
from .oidc import *  # noqa: E402,F401,F403
from .rasa import *  # noqa: E402,F401,F403
from .redis import *  # noqa: E402,F401,F403
from .search import *  # noqa: E402,F401,F403
from .whatsapp import *  # noqa: E402,F401,F403

if not REDIS_URL:  # noqa: F405
    # axes.W001: without Redis the cache is per process (local memory). The
    # portal's own rate limits share that cache, so login throttling is exactly
    # as strong as they are: fine for the single-process `make run`; deployments
    # with several workers set REDIS_URL.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W001"]
