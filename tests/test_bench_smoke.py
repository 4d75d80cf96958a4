"""The benchmarks still run against today's models (a tiny run of each, nothing written).

The benchmarks are not part of ``make test`` (``make bench``), so a model change that
breaks one goes unseen until someone measures again: a new NOT NULL column broke the
reference INSERT of bench/supports.py, and the English translation of the guide index
broke bench/search.py's generator. These runs take seconds and compare nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _run(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


@pytest.mark.skipif(not POSTGRES, reason="bench/supports.py measures PostgreSQL (the PostgreSQL pass)")
def test_supports_benchmark_runs_and_loses_nothing():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    out = _run(["bench/supports.py", "--users", "6", "--levels", "1,3", "--no-write"], env)
    rows = [line for line in out.splitlines() if line.startswith(("| 1 |", "| 3 |"))]
    assert len(rows) == 2, out
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == "6" and cells[-2:] == ["0", "0"], row  # six supports, none lost or doubled


@pytest.mark.embedded_only
def test_search_benchmark_runs_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["AYNI_VAR_DIR"] = str(tmp_path)
    out = _run(["bench/search.py", "--documents", "12", "--repeat", "1", "--no-postgres", "--no-write"], env)
    assert "| SQLite        | búsqueda" in out, out
