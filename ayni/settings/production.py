"""Production: HTTPS behind a reverse proxy; SECRET_KEY and ALLOWED_HOSTS required."""

from ayni.env import env, env_bool, env_int

# Checked before base.py runs: base would otherwise generate a key into var/
# (or fail with a permission error where var/ is read-only).
if not env("SECRET_KEY"):
    raise RuntimeError("SECRET_KEY must be set in production")
if not env("ALLOWED_HOSTS"):
    raise RuntimeError("ALLOWED_HOSTS must be set in production (comma-separated host names)")

from .base import *  # noqa: E402,F401,F403

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health probes read /health/ over the stack's internal network in plain HTTP;
# redirecting them would protect nothing. Everything else, the JSON API
# included, goes to HTTPS (no service of the stack calls the API any more:
# the chatbot answers in process); browsers get HSTS.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Nothing of the portal is framed; Wagtail's preview views set SAMEORIGIN on
# their own responses (xframe_options_sameorigin_override), so DENY is safe.
X_FRAME_OPTIONS = "DENY"
if not SECURE_HSTS_PRELOAD:
    # Submitting the domain to the browsers' HSTS preload list is a decision for
    # whoever runs the municipal domain (it binds every subdomain, and is slow to
    # undo); until SECURE_HSTS_PRELOAD=1 says it was taken, don't warn about it.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]
# The Content-Security-Policy is enforced in production whatever DEBUG was in the environment.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": AYNI_CSP_DIRECTIVES}  # noqa: F405
CONTENT_SECURITY_POLICY_REPORT_ONLY = None
