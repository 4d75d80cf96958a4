"""JSON from outside (webhooks, websocket frames) parsed without surprises.

``json.loads`` raises RecursionError (not ValueError) on deeply nested input
and accepts ``NaN``/``Infinity``; ``loads`` turns all of that into one error.
"""

from __future__ import annotations

import json


class JSONError(ValueError):
    """Not JSON (``too_deep`` is True when it nests deeper than allowed)."""

    def __init__(self, message: str, *, too_deep: bool = False):
        super().__init__(message)
        self.too_deep = too_deep


def loads(data: str | bytes, *, max_depth: int) -> object:
    """The JSON value of ``data``; JSONError if it is not strict JSON nested at most ``max_depth`` levels."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise JSONError("too deep", too_deep=True) from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise JSONError(str(exc)) from None
    if deeper_than(value, max_depth):
        raise JSONError("too deep", too_deep=True)
    return value


def deeper_than(value: object, limit: int) -> bool:
    """True when containers (objects, arrays) nest more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")
