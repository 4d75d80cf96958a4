"""Who is the client: one key per real client address, for rate limits only.

The key is derived from the client's address alone (never from a header the
client can vary, such as the User-Agent). Behind ``AYNI_TRUSTED_PROXIES``
reverse proxies, the address is read from ``X-Forwarded-For`` counting that
many entries from the right (each proxy appends the address it received the
request from); entries further left were written by the client and are
ignored. The address itself is never stored: only a keyed, truncated hash
lives for the length of a rate-limit window.

IPv6 clients usually control a whole /64, so IPv6 addresses are keyed by
their /64 prefix: rotating the interface identifier gives no fresh bucket.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings


def client_address(*, remote_addr: str, forwarded_for: str = "", trusted_proxies: int | None = None) -> str:
    """The client's address behind ``trusted_proxies`` proxies (default: the setting)."""
    trusted = settings.AYNI_TRUSTED_PROXIES if trusted_proxies is None else trusted_proxies
    address = (remote_addr or "").strip()
    if trusted > 0 and forwarded_for:
        hops = [item.strip() for item in forwarded_for.split(",") if item.strip()]
        if hops:
            # With N trusted proxies, the Nth entry from the right was written by
            # the outermost trusted proxy: it is the address that reached it.
            address = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _normalize(address)


def _normalize(address: str) -> str:
    address = address.strip()
    if address.startswith("["):  # "[2001:db8::1]:51234" or "[2001:db8::1]"
        address = address[1:].split("]", 1)[0]
    elif address.count(":") == 1:  # "203.0.113.7:51234" (an IPv6 address has at least two)
        address = address.rsplit(":", 1)[0]
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def key_for(address: str, *, namespace: str = "client") -> str:
    """A one-way key of an address (or any identifier, e.g. a chat sender)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{namespace}|{address}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def client_key(request) -> str:
    """The rate-limit key of a Django request's client."""
    return key_for(request_client_address(request))


def scope_client_key(scope) -> str:
    """The rate-limit key of an ASGI scope's client (websockets)."""
    client = scope.get("client") or ("", 0)
    forwarded = ""
    for name, value in scope.get("headers") or []:
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
            break
    return key_for(client_address(remote_addr=str(client[0] or ""), forwarded_for=forwarded))


# --- django-axes (login throttling, see AXES_* in ayni/settings/base.py) --------


def request_client_address(request) -> str:
    """The real client address of a Django request (honours AYNI_TRUSTED_PROXIES)."""
    meta = request.META
    return client_address(remote_addr=meta.get("REMOTE_ADDR", ""), forwarded_for=meta.get("HTTP_X_FORWARDED_FOR", ""))


def login_client(request) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the client as axes keys it.

    A keyed hash of the real address (never the raw X-Forwarded-For), so not even
    the cache that holds the failure counts for the cool-off holds an address.
    """
    return key_for(request_client_address(request), namespace="login")


def login_username(request, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the submitted username, trimmed and lower-cased
    so that "Ana@x.bo" and " ana@x.bo" count against the same lockout."""
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    value = (credentials or {}).get(field)
    if value is None:
        data = getattr(request, "POST", None) or {}
        value = data.get(field)
    if value is None:
        return None
    return str(value).strip().lower()[:255] or None


def login_log_str(username, ip_address, user_agent, path_info, request) -> str:
    """``AXES_CLIENT_STR_CALLABLE``: what axes' log lines say about a client — the path only."""
    if isinstance(path_info, (tuple, list)):
        path_info = path_info[0] if path_info else ""
    return f'{{path_info: "{path_info}"}}'


# --- chat senders ----------------------------------------------------------------


def chat_sender_key(sender: str) -> str:
    """The rate-limit key of a chat sender (its hash, ``chatbot.services.sender_hash``): the
    assistant's tracking lookups count against it, on every channel."""
    return key_for(sender, namespace="chat-sender")
