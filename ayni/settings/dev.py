"""Settings for `make run` (embedded defaults; DEBUG only if DEBUG=1)."""

from .base import *  # noqa: F401,F403
