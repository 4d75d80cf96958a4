"""Sign-in with an OpenID Connect provider (Ciudadanía Digital first): participation/oidc.py.

Off while OIDC_ISSUER or OIDC_CLIENT_ID is empty: no button, and the sign-in
URLs answer 404. The provider's endpoints (authorization, token, userinfo,
keys, end of session) are read from its discovery document
(``OIDC_ISSUER/.well-known/openid-configuration``, cached), not configured one
by one. mozilla-django-oidc runs the authorization code flow with PKCE, state
and nonce, and checks the ID token's signature against the provider's keys.
"""

from ayni.env import env, env_int

OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid profile email")
OIDC_BUTTON_LABEL = env("OIDC_BUTTON_LABEL", "Ciudadanía Digital")
OIDC_ENABLED = bool(OIDC_ISSUER and OIDC_RP_CLIENT_ID)
# Seconds to wait for the provider (discovery, keys, token, userinfo).
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)

# How the provider signs its ID tokens (its discovery's id_token_signing_alg_values_supported):
# RS256 by default; PS256 or ES256 if the provider signs so. Only asymmetric algorithms.
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}:
    raise ValueError("OIDC_SIGN_ALGO: use RS256, PS256 or ES256 (or their 384/512 variants)")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
# Neither token is kept in the session: the ID token carries claims the portal
# must not store (RP-initiated logout names the client instead: participation.oidc).
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_CALLBACK_CLASS = "participation.views.oidc.CallbackView"
OIDC_AUTHENTICATE_CLASS = "participation.views.oidc.AuthenticateView"
OIDC_OP_LOGOUT_URL_METHOD = "participation.oidc.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "/cuentas/ingresar/"
# How long the discovery document and the provider's keys are cached (seconds).
OIDC_DISCOVERY_CACHE_SECONDS = 3600
