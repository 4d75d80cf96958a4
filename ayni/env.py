"""Reading settings from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AYNI_VAR_DIR", "").strip() or BASE_DIR / "var")


def env(name: str, default: str = "") -> str:
    """The variable's value; unset or empty gives ``default``."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on", "si", "sí"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/."""
    value = env("SECRET_KEY")
    if value:
        return value
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    # Create with 0600 permissions; never overwrite a key written concurrently.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
