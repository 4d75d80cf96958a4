"""A stand-in OpenID Connect provider on loopback, for the sign-in tests (test_oidc.py and the browser test).

A real HTTP server (a thread) with the provider's endpoints: discovery, keys
(JWKS), token (checks the code, the client and the PKCE verifier), userinfo,
and, for a browser, the pages a person goes through: a sign-in form (test users
with a password), a consent step (allow or deny, as Ciudadanía Digital asks),
and the end of the session (RP-initiated logout, with a confirmation, back to
the registered ``post_logout_redirect_uri``). Its ID tokens are signed with an
RSA key made here. The portal talks to it over HTTP exactly as to the real provider.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "ayni-portal"
CLIENT_SECRET = "secreto-de-prueba"
SESSION_COOKIE = "proveedor_sesion"  # not the portal's cookie names (cookies do not tell ports apart)


def _jwk(private_key, kid: str, alg: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    ).encode()


def _with_query(url: str, params: dict) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class Provider:
    """A minimal OpenID Connect provider: enough of the protocol to be strict about it."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "clave-1"
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.sign_with = self.key  # a test swaps in another key to forge a signature
        self.sign_alg = "RS256"  # or "PS256" (RSASSA-PSS), as some providers sign
        self.token_lifetime = 300  # seconds; a test makes it negative to send an expired ID token
        self.auth_methods = ["client_secret_basic"]  # token_endpoint_auth_methods_supported
        # For a browser: test users (username -> (password, claims)), the registered
        # addresses, the provider's own sessions (cookie -> username), pending sign-ins.
        self.users: dict[str, tuple[str, dict]] = {}
        self.redirect_uris: set[str] = set()
        self.post_logout_redirect_uris: set[str] = set()
        self.sessions: dict[str, str] = {}
        self.interactions: dict[str, dict] = {}
        self.logouts: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data, status=200):
                self._send(status, json.dumps(data).encode(), "application/json")

            def _html(self, title: str, body: str, status: int = 200, headers: dict | None = None):
                self._send(status, _page(title, body), "text/html; charset=utf-8", headers)

            def _redirect(self, location: str, headers: dict | None = None):
                self._send(302, b"", "text/plain", {"Location": location, **(headers or {})})

            def _form(self) -> dict:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def _session_user(self) -> str | None:
                cookie = SimpleCookie(self.headers.get("Cookie", ""))
                morsel = cookie.get(SESSION_COOKIE)
                return provider.sessions.get(morsel.value) if morsel else None

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery())
                if url.path == "/jwks":
                    return self._json({"keys": [_jwk(provider.key, provider.kid, provider.sign_alg)]})
                if url.path == "/me":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.tokens:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(provider.tokens[token])
                if url.path == "/auth":
                    return self._authorization_page(query)
                if url.path == "/session/end":
                    return self._end_session_page(query)
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                path = urlsplit(self.path).path
                if path == "/token":
                    return self._token()
                if path == "/auth/interaccion":
                    return self._interaction(self._form())
                if path == "/session/end/confirm":
                    return self._end_session(self._form())
                return self._json({"error": "not_found"}, 404)

            # --- what a browser sees -------------------------------------------------------------

            def _authorization_page(self, params: dict):
                if params.get("client_id") != CLIENT_ID or params.get("redirect_uri") not in provider.redirect_uris:
                    return self._html("Solicitud no válida", "<p>El portal no está registrado.</p>", 400)
                if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
                    return self._html("Solicitud no válida", "<p>Falta el alcance openid.</p>", 400)
                uid = secrets.token_urlsafe(16)
                provider.interactions[uid] = params
                self._interaction_page(uid, self._session_user())

            def _interaction_page(self, uid: str, username: str | None, error: str = "", status: int = 200):
                fields = f'<input type="hidden" name="uid" value="{uid}">'
                if username is None:
                    fields += (
                        '<p><label for="usuario">Usuario</label> <input id="usuario" name="usuario"></p>'
                        '<p><label for="clave">Contraseña</label> <input id="clave" name="clave" type="password"></p>'
                    )
                    intro = "Ingresa con tu usuario de Ciudadanía Digital."
                else:
                    intro = f"Sesión iniciada como {html.escape(username)}."
                alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
                self._html(
                    "Proveedor de identidad de prueba",
                    f"<p>{intro}</p>{alert}<p>El portal municipal pide tu nombre, tu correo y tu identificador.</p>"
                    f'<form method="post" action="/auth/interaccion">{fields}'
                    '<button type="submit" name="accion" value="permitir">Permitir</button> '
                    '<button type="submit" name="accion" value="rechazar">Rechazar</button></form>',
                    status,
                )

            def _interaction(self, form: dict):
                params = provider.interactions.pop(form.get("uid", ""), None)
                if params is None:
                    return self._html("Solicitud vencida", "<p>Vuelve a intentarlo desde el portal.</p>", 400)
                back = params["redirect_uri"]
                if form.get("accion") != "permitir":
                    return self._redirect(
                        _with_query(back, {"error": "access_denied", "state": params.get("state", "")})
                    )
                headers = {}
                username = self._session_user()
                if username is None:
                    username = form.get("usuario", "")
                    password, _claims = provider.users.get(username, (None, None))
                    if password is None or not secrets.compare_digest(password, form.get("clave", "")):
                        uid = secrets.token_urlsafe(16)
                        provider.interactions[uid] = params
                        return self._interaction_page(uid, None, "Usuario o contraseña incorrectos.", 401)
                    session = secrets.token_urlsafe(16)
                    provider.sessions[session] = username
                    headers["Set-Cookie"] = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
                code = provider.authorize_params(params, provider.users[username][1])
                self._redirect(_with_query(back, {"code": code, "state": params.get("state", "")}), headers)

            def _end_session_page(self, params: dict):
                back = params.get("post_logout_redirect_uri", "")
                if params.get("client_id") != CLIENT_ID or back not in provider.post_logout_redirect_uris:
                    return self._html("Solicitud no válida", "<p>Dirección de retorno no registrada.</p>", 400)
                self._html(
                    "Cerrar sesión",
                    "<p>¿Quieres cerrar tu sesión en el proveedor de identidad?</p>"
                    '<form method="post" action="/session/end/confirm">'
                    f'<input type="hidden" name="client_id" value="{html.escape(params["client_id"])}">'
                    f'<input type="hidden" name="back" value="{html.escape(back)}">'
                    '<button type="submit">Sí, cerrar sesión</button></form>',
                )

            def _end_session(self, form: dict):
                back = form.get("back", "")
                if back not in provider.post_logout_redirect_uris:
                    return self._html("Solicitud no válida", "<p>Dirección de retorno no registrada.</p>", 400)
                cookie = SimpleCookie(self.headers.get("Cookie", ""))
                morsel = cookie.get(SESSION_COOKIE)
                username = provider.sessions.pop(morsel.value, None) if morsel else None
                provider.logouts.append({"client_id": form.get("client_id"), "user": username})
                self._redirect(back, {"Set-Cookie": f"{SESSION_COOKIE}=; Path=/; Max-Age=0"})

            # --- what the portal's server calls ----------------------------------------------------

            def _token(self):
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                provider.token_requests.append(form)
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None:
                    return self._json({"error": "invalid_grant"}, 400)
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    form["client_id"], _, form["client_secret"] = base64.b64decode(basic[6:]).decode().partition(":")
                    form["auth_method"] = "client_secret_basic"
                if provider.auth_methods != ["client_secret_basic"] and "auth_method" not in form:
                    form["auth_method"] = "client_secret_post"
                if form.get("auth_method") not in provider.auth_methods:
                    return self._json({"error": "invalid_client"}, 401)
                if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json({"error": "invalid_client"}, 401)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge != grant["code_challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
                    return self._json({"error": "invalid_grant"}, 400)
                access = secrets.token_urlsafe(16)
                provider.tokens[access] = grant["claims"]
                now = int(time.time())
                id_token = jwt.encode(
                    {
                        **grant["claims"],
                        "iss": provider.issuer,
                        "aud": CLIENT_ID,
                        "iat": now,
                        "exp": now + provider.token_lifetime,
                        "nonce": grant["nonce"],
                    },
                    provider.sign_with,
                    algorithm=provider.sign_alg,
                    headers={"kid": provider.kid},
                )
                return self._json(
                    {"access_token": access, "token_type": "Bearer", "id_token": id_token, "expires_in": 300}
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/me",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.sign_alg],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
        }

    def authorize_params(self, params: dict, claims: dict) -> str:
        """A code for an authorization request's parameters (what a successful sign-in ends with)."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**params, "claims": claims}
        return code

    def authorize(self, authorization_url: str, claims: dict) -> str:
        """What the provider does when the person signs in: a code for the request's parameters."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
        return self.authorize_params(params, claims)
