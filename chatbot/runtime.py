"""Running the Rasa side: its venv, the NLU training project, training (cached by
content hash), the server process.

The training project lives under ``var/rasa-project``: the hand-written
``chatbot/rasa/config.yml`` and ``data/nlu.yml``, plus ``data/guides.yml``
generated from the live guides by ``manage.py chatbot_export``. Used by
``bin/run.py`` (``make run``), the retraining task, the integration tests and
the benchmark. Imports nothing from Django.
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_DIR = ROOT / "chatbot" / "rasa"
VAR_DIR = Path(os.environ.get("AYNI_VAR_DIR", ROOT / "var"))
VENV = Path(os.environ.get("RASA_VENV", VAR_DIR / "rasa-venv"))
MODELS = VAR_DIR / "rasa-models"
PROJECT = VAR_DIR / "rasa-project"
HAND_WRITTEN = ["config.yml", "data/nlu.yml"]
AUTH_TOKEN_FILE = VAR_DIR / "rasa_auth_token"
REQUIREMENTS = RASA_DIR / "requirements.txt"
TRAINING_FILES = ["config.yml", "data/*.yml"]


def log(message: str) -> None:
    print(f"[chatbot] {message}", file=sys.stderr, flush=True)


def python310() -> str:
    """A Python 3.10 interpreter for the Rasa venv (RASA_PYTHON, PATH, or pyenv)."""
    candidates = [os.environ.get("RASA_PYTHON", ""), shutil.which("python3.10") or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.10.*/bin/python3.10"), reverse=True)
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            try:
                subprocess.run([candidate, "--version"], check=True, capture_output=True, env=_py_env())
            except (OSError, subprocess.CalledProcessError):
                continue
            return candidate
    raise RuntimeError("Rasa 3.6 needs Python 3.10: set RASA_PYTHON or install python3.10")


def _py_env() -> dict:
    return {**os.environ, "PYENV_VERSION": "3.10"}


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create or update the Rasa venv when requirements.txt changed. Returns its python."""
    stamp = VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if venv_python().exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return venv_python()
    if not venv_python().exists():
        log(f"creating the Rasa venv in {VENV} (a large install: several minutes)")
        subprocess.run([python310(), "-m", "venv", str(VENV)], check=True, env=_py_env())
        subprocess.run([str(venv_python()), "-m", "pip", "install", "-q", "pip<24.1"], check=True)
    log("installing " + ", ".join(_requirement_lines()))
    subprocess.run([str(venv_python()), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return venv_python()


def _requirement_lines() -> list[str]:
    return [line.strip() for line in REQUIREMENTS.read_text().splitlines() if line.strip() and not line.startswith("#")]


def write_project(guides_yaml: str) -> bool:
    """Assemble the training project: hand-written files plus the guides' data. True if anything changed."""
    changed = False
    files = {name: (RASA_DIR / name).read_text(encoding="utf-8") for name in HAND_WRITTEN}
    files["data/guides.yml"] = guides_yaml
    for name, text in files.items():
        target = PROJECT / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        changed = True
    return changed


def training_hash() -> str:
    digest = hashlib.sha256()
    for pattern in TRAINING_FILES:
        for path in sorted(PROJECT.glob(pattern)):
            digest.update(str(path.relative_to(PROJECT)).encode())
            digest.update(path.read_bytes())
    digest.update(REQUIREMENTS.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"ayni-{training_hash()}.tar.gz"


def export_guides(django_python: str | None = None, env: dict | None = None) -> None:
    """Regenerate the training project from the portal's guides (``manage.py chatbot_export``)."""
    subprocess.run(
        [django_python or sys.executable, "manage.py", "chatbot_export"], cwd=ROOT, env=env or os.environ, check=True
    )


def venv_ready() -> bool:
    stamp = VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    return venv_python().exists() and stamp.exists() and stamp.read_text().strip() == wanted


def ensure_model() -> Path:
    """Train when the training project changed (content hash); otherwise reuse the cached model."""
    if not (PROJECT / "data" / "guides.yml").exists():
        raise RuntimeError("no training project: run `manage.py chatbot_export` first")
    target = model_path()
    if target.exists():
        return target
    ensure_venv()
    MODELS.mkdir(parents=True, exist_ok=True)
    log(f"training the Rasa NLU model {target.name}")
    started = time.monotonic()
    subprocess.run(
        [
            str(VENV / "bin" / "rasa"),
            "train",
            "nlu",
            "--config",
            "config.yml",
            "--nlu",
            "data",
            "--out",
            str(MODELS),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
            "--quiet",
        ],
        cwd=PROJECT,
        env=rasa_env(),
        check=True,
    )
    log(f"trained in {time.monotonic() - started:.0f} s")
    for old in MODELS.glob("ayni-*.tar.gz"):  # keep the two newest
        if old != target and old.stat().st_mtime < target.stat().st_mtime - 1:
            if len(list(MODELS.glob("ayni-*.tar.gz"))) > 2:
                old.unlink(missing_ok=True)
    return target


def rasa_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH"}}
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.update(extra or {})
    return env


def stored_auth_token() -> str:
    """RASA_AUTH_TOKEN from the environment, else the one generated into var/ (never creates one)."""
    value = os.environ.get("RASA_AUTH_TOKEN", "").strip()
    if value:
        return value
    try:
        return AUTH_TOKEN_FILE.read_text().strip()
    except OSError:
        return ""


def rasa_auth_token() -> str:
    """The token of Rasa's HTTP API: RASA_AUTH_TOKEN, else one generated once into var/ (0600)."""
    value = stored_auth_token()
    if value:
        return value
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(AUTH_TOKEN_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # written concurrently: use that one
        return AUTH_TOKEN_FILE.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def rasa_command(*, model: Path, port: int, auth_token: str | None = None) -> tuple[list[str], dict, Path]:
    """(command, env, cwd) for the Rasa NLU server on loopback, its HTTP API behind a token.

    NLU only: the portal calls ``/model/parse`` and answers itself; there is no
    action server, no REST channel and no tracker store.
    """
    command = [
        str(VENV / "bin" / "rasa"),
        "run",
        "--enable-api",
        "--auth-token",
        auth_token or rasa_auth_token(),
        "-m",
        str(model),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--quiet",
    ]
    return command, rasa_env(), PROJECT if PROJECT.exists() else RASA_DIR


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, *, timeout: float = 180, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f} s")


def wait_until_model_loaded(rasa_url: str, *, timeout: float = 180, process: subprocess.Popen | None = None) -> None:
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Rasa exited with code {process.returncode}")
        try:
            status_url = f"{rasa_url}/status?" + urllib.parse.urlencode({"token": stored_auth_token()})
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if json.loads(response.read()).get("model_file"):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Rasa at {rasa_url} did not load its model within {timeout:.0f} s")
