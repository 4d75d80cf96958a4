"""Reproducible installs: the lock files, the declared dependencies and the wheel.

- requirements.lock / requirements-test.lock (``make lock``) pin, with hashes,
  a version that every requirement of pyproject.toml accepts;
- every package the code imports (or the settings name: apps, middleware, backends) is declared:
  the app code's in ``dependencies``, the tests' and benchmarks' there or in
  the ``test`` extra;
- a wheel built from the tree, installed into a fresh virtual environment, runs
  ``check``, sets the portal up and renders a guide page from the installed
  package alone (templates, static files, demo data and translations included).
"""

from __future__ import annotations

import ast
import gettext
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from functools import cache
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
FIRST_PARTY = {"ayni", "cms", "participation", "opendata", "chatbot", "search", "bench", "bin", "tests", "manage"}
APP_CODE = ["ayni", "cms", "participation", "opendata", "chatbot", "search", "bin", "manage.py"]
DEV_CODE = ["tests", "bench"]
# Code that runs in another environment: the CKAN plugin of the tests' throwaway CKAN.
OTHER_ENVIRONMENTS = [ROOT / "opendata" / "ckan" / "dev" / "ckan_ci_nosolr"]
# The environment the lock files are resolved for (Makefile: `make lock`).
LOCK_ENVIRONMENT = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux"}
# Tracked files under the packages that the code does not read at run time.
# The DCAT-AP shapes (opendata/shacl) are read by the tests only.
NOT_SHIPPED = ["chatbot/rasa/results/", "opendata/ckan/dev/", "opendata/shacl/"]


# --- The lock files ---------------------------------------------------------------


def _lock(name: str) -> dict[str, tuple[Version, int]]:
    """Pinned name -> (version, number of hashes) of a uv/pip-compile lock file."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line):
            current = canonicalize_name(match[1])
            pins[current] = (Version(match[2]), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({**LOCK_ENVIRONMENT, "extra": ""})


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("requirements.lock", ["dependencies"]), ("requirements-test.lock", ["dependencies", "test"])],
)
def test_lock_pins_a_version_every_requirement_accepts(lock, groups):
    pins = _lock(lock)
    project = PYPROJECT["project"]
    declared = [
        *(project["dependencies"] if "dependencies" in groups else []),
        *(project["optional-dependencies"]["test"] if "test" in groups else []),
    ]
    problems = []
    for requirement in map(Requirement, declared):
        if not _applies(requirement):
            continue
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name}: not in {lock}")
        elif not requirement.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{requirement}: {lock} pins {pin[0]}")
    assert not problems, f"run `make lock` after changing pyproject.toml: {problems}"
    unhashed = sorted(name for name, (_version, hashes) in pins.items() if not hashes)
    assert not unhashed, f"{lock}: pins without --hash: {unhashed}"


def test_runtime_and_test_locks_pin_the_same_versions():
    """The image (requirements.lock) runs the versions the suite ran (requirements-test.lock)."""
    runtime, test = _lock("requirements.lock"), _lock("requirements-test.lock")
    assert runtime.keys() <= test.keys()
    assert {name: pin[0] for name, pin in runtime.items()} == {name: test[name][0] for name in runtime}


# --- Every imported package is declared ------------------------------------------------


def _top_level_imports(paths: list[str]) -> dict[str, set[str]]:
    """Top-level module name -> files importing it (absolute imports, not stdlib, not first party)."""
    found: dict[str, set[str]] = {}
    for entry in paths:
        path = ROOT / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            if any(other in file.parents for other in OTHER_ENVIRONMENTS):
                continue
            for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY and top != "__future__":
                        found.setdefault(top, set()).add(str(file.relative_to(ROOT)))
    return found


@cache
def _with_extras(requirement_text: str) -> frozenset[str]:
    """The distribution a requirement names, plus those its extras bring (channels[daphne] -> daphne)."""
    requirement = Requirement(requirement_text)
    names = {canonicalize_name(requirement.name)}
    for extra in requirement.extras:
        for text in requires(requirement.name) or []:
            brought = Requirement(text)
            if brought.marker and brought.marker.evaluate({"extra": extra}):
                names.add(canonicalize_name(brought.name))
    return frozenset(names)


def _declared(groups: list[str]) -> set[str]:
    project = PYPROJECT["project"]
    texts = list(project["dependencies"])
    if "test" in groups:
        texts += project["optional-dependencies"]["test"]
    return set().union(*(_with_extras(text) for text in texts))


def _undeclared(imports: dict[str, set[str]], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    problems = []
    for module, files in sorted(imports.items()):
        providers = {canonicalize_name(name) for name in distributions.get(module, [])}
        if not providers & declared:
            shown = ", ".join(sorted(providers)) or "no installed distribution"
            problems.append(f"{module} ({shown}) imported by {sorted(files)[:3]}")
    return problems


def test_app_code_imports_only_declared_dependencies():
    problems = _undeclared(_top_level_imports(APP_CODE), _declared(["dependencies"]))
    assert not problems, f"declare in [project] dependencies: {problems}"


def test_tests_and_benchmarks_import_only_declared_packages():
    problems = _undeclared(_top_level_imports(DEV_CODE), _declared(["dependencies", "test"]))
    assert not problems, f"declare in the test extra: {problems}"


def _settings_import_paths() -> dict[str, set[str]]:
    """Top-level modules of the dotted paths the settings name (apps, middleware, every
    BACKEND), in all their branches (with and without REDIS_URL, ELASTICSEARCH_URL…)."""
    found: dict[str, set[str]] = {}
    for file in sorted((ROOT / "ayni" / "settings").glob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if not re.fullmatch(r"[A-Za-z_]\w*(\.\w+)+", node.value) or re.search(r"\.[A-Z]\d{3}$", node.value):
                continue  # not a dotted path, or a system check id (axes.W001)
            top = node.value.partition(".")[0]
            if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                found.setdefault(top, set()).add(node.value)
    return found


def test_settings_name_only_declared_dependencies():
    paths = _settings_import_paths()
    assert {"axes", "whitenoise", "django_tasks_db"} <= paths.keys()  # the scan sees the settings
    problems = _undeclared(paths, _declared(["dependencies"]))
    assert not problems, f"declare in [project] dependencies: {problems}"


# --- The built wheel runs on its own ------------------------------------------------------


def _source_copy(target: Path) -> Path:
    """The tree as git sees it (tracked and new files, not ignored ones: no .venv, var/, build/)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _a_translation(language: str) -> tuple[str, str]:
    """A message of the interface and its translation, read from the source tree's catalogue."""
    with open(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    return next(
        (msgid, msgstr)
        for msgid, msgstr in sorted(catalogue.items(), key=str)
        if isinstance(msgid, str) and msgid and "\x04" not in msgid and msgstr and msgstr != msgid
    )


RENDER_GUIDE = """
import json, os, sys
import ayni
from django.conf import settings
from django.test import Client
from django.utils import translation
from cms.models import GuidePage

guide = GuidePage.objects.live().public().filter(locale__language_code=settings.LANGUAGE_CODE).first()
response = Client(HTTP_HOST="localhost").get(guide.get_url())
with translation.override("en"):
    translated = translation.gettext(os.environ["PROBE_MSGID"])
print(json.dumps({
    "package": ayni.__file__,
    "sys_path": sys.path,
    "status": response.status_code,
    "title": guide.title,
    "html": response.content.decode(),
    "translated": translated,
    "static_root": str(settings.STATIC_ROOT),
}))
"""


@pytest.mark.embedded_only
@pytest.mark.integration
def test_built_wheel_installs_and_renders_a_guide_page(tmp_path):
    source = _source_copy(tmp_path / "source")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", dist, source])
    (wheel,) = dist.glob("ayni-*.whl")

    # Whatever the code reads besides modules is in the wheel (or knowingly left out).
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = tuple(f"{name.rstrip('*')}/" for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"])
    data_files = [
        name
        for name in (path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file())
        if name.startswith(packages) and not name.endswith((".py", ".po"))
    ]
    missing = [name for name in data_files if name not in names and not name.startswith(tuple(NOT_SHIPPED))]
    assert not missing, f"not in the wheel: add them to [tool.setuptools.package-data] or NOT_SHIPPED: {missing}"
    catalogues = sorted(name for name in names if name.endswith(".mo"))
    assert catalogues == sorted(
        f"ayni/locale/{path.relative_to(source / 'locale').as_posix()}"
        for path in (source / "locale").glob("*/LC_MESSAGES/*.mo")
    )
    assert not [name for name in names if name.startswith(tuple(NOT_SHIPPED))]

    # A fresh environment: the dependencies are the project environment's site-packages
    # (a plain path in a .pth file, so its editable install of the tree is not activated);
    # the project itself comes only from the wheel.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (purelib / "ayni_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", "--quiet", wheel])

    # Run from a directory outside the tree, with nothing of the tree on the path.
    workdir = tmp_path / "work"
    workdir.mkdir()
    msgid, msgstr = _a_translation("en")
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "AYNI_VAR_DIR": str(tmp_path / "var"),
        "PROBE_MSGID": msgid,
    }
    ayni = str(venv / "bin" / "ayni")
    check = _run([ayni, "check", "--fail-level", "WARNING"], cwd=workdir, env=env)
    assert "no issues" in check.stdout
    _run([ayni, "portal_setup"], cwd=workdir, env=env)
    output = _run([ayni, "shell", "--no-startup", "-c", RENDER_GUIDE], cwd=workdir, env=env).stdout
    rendered = json.loads(output.strip().splitlines()[-1])

    assert Path(rendered["package"]).is_relative_to(purelib), rendered["package"]
    assert not [entry for entry in rendered["sys_path"] if entry and Path(entry).resolve() == ROOT]
    assert rendered["status"] == 200, rendered["html"][-2000:]
    assert rendered["title"] in rendered["html"]
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', rendered["html"])
    assert stylesheets, "the page links no stylesheet"
    for url in stylesheets:  # collected from the installed package's static files
        assert (Path(rendered["static_root"]) / url.removeprefix("/static/")).is_file(), url
    assert rendered["translated"] == msgstr  # the catalogues shipped as ayni/locale
