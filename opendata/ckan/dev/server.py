"""Start (or reuse) the real CKAN of ``run_ckan.sh`` for tests and benchmarks.

``ensure_ckan()`` returns the connection settings and whether it started the
server; ``stop_ckan()`` stops it. A CKAN already answering on the port is
reused (its token comes from ``CKAN_TEST_API_TOKEN`` or the script's env file)
and never stopped by us.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "run_ckan.sh"
REPO = SCRIPT.parents[3]
WORK_DIR = Path(os.environ.get("CKAN_TEST_WORK_DIR", REPO / "var" / "ckan"))
PORT = int(os.environ.get("CKAN_TEST_PORT", "5000"))
START_TIMEOUT = int(os.environ.get("CKAN_TEST_START_TIMEOUT", "1200"))


@dataclass
class CkanServer:
    url: str
    token: str
    organization: str
    started: bool


def _env() -> dict[str, str]:
    return {**os.environ, "W": str(WORK_DIR), "CKAN_PORT": str(PORT)}


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def _parse(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("CKAN_"):
            values[key] = value.strip()
    return values


def ensure_ckan() -> CkanServer:
    url = os.environ.get("CKAN_TEST_URL", f"http://127.0.0.1:{PORT}")
    if is_up(url):
        env_file = WORK_DIR / "env"
        values = _parse(env_file.read_text()) if env_file.exists() else {}
        token = os.environ.get("CKAN_TEST_API_TOKEN") or values.get("CKAN_API_TOKEN", "")
        if not token:
            raise RuntimeError(
                f"A CKAN answers at {url} but no API token is known: set CKAN_TEST_API_TOKEN "
                f"(and CKAN_TEST_ORGANIZATION), or stop it so the tests start their own."
            )
        organization = os.environ.get("CKAN_TEST_ORGANIZATION") or values.get("CKAN_ORGANIZATION", "ayni-ci")
        return CkanServer(url=url, token=token, organization=organization, started=False)
    result = subprocess.run(
        ["bash", str(SCRIPT), "start"], env=_env(), capture_output=True, text=True, timeout=START_TIMEOUT
    )
    if result.returncode != 0:
        raise RuntimeError(f"run_ckan.sh start failed ({result.returncode}):\n{result.stderr[-4000:]}")
    values = _parse(result.stdout)
    return CkanServer(
        url=values["CKAN_URL"], token=values["CKAN_API_TOKEN"], organization=values["CKAN_ORGANIZATION"], started=True
    )


def stop_ckan(server: CkanServer) -> None:
    if server.started:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=_env(), capture_output=True, timeout=120)
