"""Tracking codes: short enough to dictate, case-insensitive, unguessable.

``RC-7K4MX-2Q9PA``: a two-letter prefix for the type and ten characters from
an alphabet without look-alikes (no 0/O, 1/I/L, U), drawn with ``secrets``:
30**10 ≈ 2**49 possibilities, so guessing is hopeless under rate limits.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols
BODY_LENGTH = 10
PREFIXES = {"reclamo": "RC", "denuncia": "DN", "sugerencia": "SG"}
_PATTERN = re.compile(rf"^(RC|DN|SG)([{ALPHABET}]{{{BODY_LENGTH}}})$")


class MalformedCode(ValueError):
    pass


def entropy_bits() -> float:
    import math

    return BODY_LENGTH * math.log2(len(ALPHABET))


def generate(kind: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{PREFIXES[kind]}-{body[:5]}-{body[5:]}"


def normalize(raw: str) -> str:
    """Canonical form of a code typed or dictated by a person; MalformedCode if it cannot be one."""
    compact = re.sub(r"[\s\-_.]", "", (raw or "")).upper()
    match = _PATTERN.match(compact)
    if not match:
        raise MalformedCode(raw)
    prefix, body = match.groups()
    return f"{prefix}-{body[:5]}-{body[5:]}"


# A code as a person may type it inside a sentence: any case, with at most one
# separator between characters, look-alikes (0/O, 1/I/L, U) and typos (extra
# characters) included.
_IN_TEXT = re.compile(r"\b(?:RC|DN|SG)(?:[\s\-_.]?[A-Z0-9]){10}[A-Z0-9]*\b", re.IGNORECASE)
REDACTED = "[código]"


def redact(text: str) -> str:
    """``text`` with every tracking code (as typed or as written by the portal) replaced by ``[código]``."""
    return _IN_TEXT.sub(REDACTED, text or "")
