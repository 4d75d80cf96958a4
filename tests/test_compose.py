"""docker-compose.yml, Dockerfile and .env.example checked against the settings.

No Docker needed: the files are parsed (PyYAML), compose's ${VAR} interpolation
is reproduced, and the variables the settings read are found by parsing
ayni/settings/*.py and ayni/env.py, so a new integration variable that is not
wired into the stack (or not documented) makes these tests fail.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from functools import cache
from importlib.metadata import version as installed_version
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_SOURCES = [*sorted((ROOT / "ayni" / "settings").glob("*.py")), ROOT / "ayni" / "env.py"]

APP_SERVICES = ("web", "worker", "migrate")  # the services that import ayni.settings
ENV_READERS = {"env", "env_bool", "env_int", "env_list"}
TRUE_WORDS = {"1", "true", "yes", "on", "si", "sí"}
COMPOSE_ONLY_MARKER = "Solo docker-compose"
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|SECRET_KEY)$")
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


# --- What the settings read ---------------------------------------------------


class SettingsVariable:
    def __init__(self, name: str, reader: str, default, constant: bool):
        self.name, self.reader, self.default, self.constant = name, reader, default, constant


def _reader_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in ENV_READERS:
        return func.id
    # os.environ.get("X") / os.getenv("X")
    if isinstance(func, ast.Attribute) and func.attr in {"get", "getenv"}:
        owner = ast.unparse(func.value)
        if owner in {"os.environ", "os"}:
            return "os.environ"
    return None


def _constant(node: ast.expr) -> tuple[object, bool]:
    """A default written as a literal or as arithmetic on literals (3 * 24 * 3600)."""
    try:
        return ast.literal_eval(node), True
    except ValueError:
        pass
    arithmetic = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
    if all(isinstance(sub, arithmetic) for sub in ast.walk(node)):
        return eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}}), True  # noqa: S307
    return None, False  # computed default (a path, an f-string, another setting)


@cache
def settings_variables() -> dict[str, SettingsVariable]:
    found: dict[str, SettingsVariable] = {}
    for path in SETTINGS_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                    found.setdefault(node.slice.value, SettingsVariable(node.slice.value, "os.environ", None, False))
                continue
            if not isinstance(node, ast.Call) or not (reader := _reader_name(node)):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue  # env(name) inside the helpers themselves
            name = node.args[0].value
            if len(node.args) > 1:
                default, constant = _constant(node.args[1])
            else:
                default, constant = ({"env_bool": False}.get(reader, "")), True
            found.setdefault(name, SettingsVariable(name, reader, default, constant))
    return found


def test_the_settings_scan_sees_the_integrations():
    """Guards the scanner itself: if it found nothing, every check below would pass vacuously."""
    names = set(settings_variables())
    assert {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "ELASTICSEARCH_URL",
        "CKAN_URL",
        "CKAN_API_TOKEN",
        "CKAN_ORGANIZATION",
        "RASA_URL",
        "WHATSAPP_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "EMAIL_HOST",
        "AYNI_VAR_DIR",
    } <= names
    assert settings_variables()["RASA_URL"].default == "http://127.0.0.1:5005"
    assert settings_variables()["DATABASE_URL"].default == ""


# --- Compose file and its interpolation ----------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def raw_environment(service: str) -> dict[str, str]:
    environment = services()[service].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return {key: ("" if value is None else str(value)) for key, value in environment.items()}


class MissingRequired(Exception):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err} and $$."""

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["braced"] or match["bare"], match["op"], match["arg"]
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op == ":?" and not value or op == "?" and value is None:
            raise MissingRequired(f"{name}: {arg}")
        return value or ""

    return INTERPOLATION.sub(substitute, text)


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


@cache
def interpolated_names() -> dict[str, set[str]]:
    """Every ${VAR} in the compose file, with the operators it is used with."""
    names: dict[str, set[str]] = {}
    for text in _strings(compose()):
        for match in INTERPOLATION.finditer(text):
            if not match["escaped"]:
                names.setdefault(match["braced"] or match["bare"], set()).add(match["op"] or "")
    return names


def required_names() -> set[str]:
    return {name for name, ops in interpolated_names().items() if ops & {":?", "?"}}


def parse_env_example() -> tuple[dict[str, tuple[str, bool]], dict[str, tuple[str, bool]]]:
    """(portal, compose_only): name -> (value, active); commented `# NAME=value` lines count, inactive."""
    portal: dict[str, tuple[str, bool]] = {}
    compose_only: dict[str, tuple[str, bool]] = {}
    current = portal
    for line in ENV_EXAMPLE.read_text().splitlines():
        if COMPOSE_ONLY_MARKER in line and line.startswith("#"):
            current = compose_only
            continue
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            value = match[3].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            assert match[2] not in portal and match[2] not in compose_only, f"{match[2]} twice in .env.example"
            current[match[2]] = (value, not match[1])
    return portal, compose_only


def dotenv_from_example() -> dict[str, str]:
    """What compose reads from .env after `cp .env.example .env`, with the empty secrets filled in."""
    portal, compose_only = parse_env_example()
    dotenv = {name: value for name, (value, active) in {**portal, **compose_only}.items() if active}
    for name in required_names():
        if not dotenv.get(name):
            dotenv[name] = secrets.token_urlsafe(50)
    return dotenv


def resolved_environment(service: str, dotenv: dict[str, str] | None = None) -> dict[str, str]:
    dotenv = dotenv_from_example() if dotenv is None else dotenv
    return {key: interpolate(value, dotenv) for key, value in raw_environment(service).items()}


def named_volume_sources(service: dict) -> list[str]:
    sources = []
    for volume in service.get("volumes", []):
        source = volume.get("source") if isinstance(volume, dict) else volume.split(":", 1)[0]
        if volume_is_named(volume, source):
            sources.append(source)
    return sources


def volume_is_named(volume, source) -> bool:
    if isinstance(volume, dict):
        return volume.get("type", "volume") == "volume" and bool(source)
    return ":" in volume and not source.startswith((".", "/", "~", "$"))


def depends_on(service: dict) -> dict[str, dict]:
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return {name: {"condition": "service_started"} for name in value}
    return value


def image_tag(service: str) -> tuple[str, str]:
    repository, _, tag = services()[service]["image"].rpartition(":")
    return repository, tag


# --- The application services --------------------------------------------------


# URLs outside the stack: the portal's public one, and Meta's Graph API (a stand-in in benchmarks).
EXTERNAL_URL_VARIABLES = {"AYNI_BASE_URL", "WHATSAPP_API_BASE_URL"}


def internal_url_variables() -> list[str]:
    """Settings variables naming another service: every *_URL except those outside the stack."""
    return sorted(name for name in settings_variables() if name.endswith("_URL") and name not in EXTERNAL_URL_VARIABLES)


def test_url_variables_of_the_portal_name_services_of_this_file():
    assert {"DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "CKAN_URL", "RASA_URL"} <= set(internal_url_variables())
    for service in APP_SERVICES:
        environment = resolved_environment(service)
        for name in internal_url_variables():
            assert environment.get(name), f"{service}: {name} is not set"
            host = urlsplit(environment[name]).hostname
            assert host in services(), f"{service}: {name} points at {host!r}, which is not a service"


def test_the_urls_point_at_the_services_ports():
    environment = resolved_environment("web")
    assert urlsplit(environment["DATABASE_URL"]).scheme in {"postgres", "postgresql", "pgsql"}
    assert urlsplit(environment["DATABASE_URL"])[1].endswith("@postgres:5432")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert environment["CKAN_URL"] == "http://ckan:5000"
    assert environment["RASA_URL"] == f"http://rasa:{_port_option('rasa', '5005')}"


def test_every_internal_url_in_the_stack_names_a_service():
    """Any http/postgres/redis URL whose host has no dot (an internal name) must be a service."""
    for name in services():
        for key, value in resolved_environment(name).items():
            parts = urlsplit(value) if "://" in value else None
            if not parts or not parts.hostname or "." in parts.hostname or parts.hostname == "localhost":
                continue
            assert parts.hostname in services(), f"{name}: {key} points at unknown host {parts.hostname!r}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_set_every_variable_the_settings_read(service):
    environment = raw_environment(service)
    missing = sorted(set(settings_variables()) - set(environment))
    assert not missing, f"{service} does not set {missing} (read in ayni/settings)"
    assert environment["DJANGO_SETTINGS_MODULE"] == "ayni.settings.production"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_plain_env_defaults_survive_compose(service):
    """env(NAME, default) keeps its default only when NAME is *unset*: compose must never pass ''."""
    dotenv = {name: "" for name in interpolated_names()}  # every line of .env left blank
    dotenv.update({name: secrets.token_urlsafe(20) for name in required_names()})
    environment = resolved_environment(service, dotenv)
    for variable in settings_variables().values():
        if variable.reader != "env" or not variable.constant or not variable.default:
            continue
        if variable.name not in raw_environment(service):
            continue  # reported by test_app_services_set_every_variable_the_settings_read
        raw = raw_environment(service)[variable.name]
        assert environment[variable.name], f"{service}: {variable.name} can reach the settings empty ({raw})"
        fallback = re.fullmatch(r"\$\{" + variable.name + r":-(.*)\}", raw)
        if fallback:
            assert fallback[1] == variable.default, f"{variable.name}: compose default {fallback[1]!r} != settings"


def test_worker_runs_the_task_queue_and_the_periodic_jobs():
    # `manage.py worker` runs the queue the settings select (rqworker with REDIS_URL, else db_worker)
    # and enqueues the periodic jobs of ayni.schedule (purges, weekly dataset); needs Redis here.
    command = services()["worker"]["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[-2:] == ["manage.py", "worker"]
    assert resolved_environment("worker").get("REDIS_URL")


def test_web_serves_the_asgi_application():
    """Through ayni.server (gunicorn + uvicorn workers, no access log, no proxy headers trusted), like make run."""
    command = services()["web"]["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[:3] == ["python", "-m", "ayni.server"]
    assert command[command.index("--bind") + 1] == "0.0.0.0" and command[command.index("--port") + 1] == "8000"
    assert "--proxy-headers" not in command
    from ayni.server import APPLICATION, server_command

    server = server_command("0.0.0.0", 8000, workers=3)
    assert server[-1] == APPLICATION == "ayni.asgi:application"
    assert server[server.index("--workers") + 1] == "3"
    assert not any(part.startswith("--access-log") for part in server)
    assert '"ayni.server"' in DOCKERFILE.read_text().splitlines()[-1]
    tree = ast.parse((ROOT / "ayni" / "asgi.py").read_text())
    assigned = {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets}
    assert "application" in assigned


def test_the_proxy_is_the_front_door_for_every_web_container():
    proxy = services()["proxy"]
    assert str(proxy["image"]).startswith("caddy:2")
    assert {"80:80", "443:443"} <= {str(port) for port in proxy["ports"]}
    assert depends_on(proxy)["web"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    # Scaled web replicas are found by DNS; static files come from the volume collectstatic fills.
    assert "dynamic a web 8000" in caddyfile and "precompressed br gzip" in caddyfile
    assert "static:/srv/static:ro" in proxy["volumes"]
    for service in APP_SERVICES:
        assert "static:/app/var/static" in [str(v).split()[0] for v in services()[service]["volumes"]]
    # No access log (privacy): Caddy writes one only when a `log` directive asks for it.
    assert not re.search(r"^\s*log\b", caddyfile, re.MULTILINE)
    assert not services()["web"].get("ports"), "web is reached only through the proxy"


def _migrate_runs(load_demo: str | None) -> list[str]:
    """The manage.py commands the migrate service runs (its sh -c script, with python stubbed)."""
    command = services()["migrate"]["command"]
    assert command[:2] == ["sh", "-c"]
    script = interpolate(command[2], {})  # $$ -> $, as compose passes it to sh
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if load_demo is not None:
        environment["AYNI_LOAD_DEMO"] = load_demo
    stub = 'python() { echo "$2"; }\n'  # python manage.py <command> ...
    out = subprocess.run(["sh", "-c", stub + script], env=environment, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_migrate_is_a_one_shot_that_web_and_worker_wait_for():
    migrate = services()["migrate"]
    assert _migrate_runs(None) == ["migrate", "collectstatic", "purge_page_cache", "update_index"]
    assert str(migrate.get("restart", "no")) == "no"
    for service in ("web", "worker"):
        assert depends_on(services()[service])["migrate"]["condition"] == "service_completed_successfully"


def test_the_demo_and_its_staff_accounts_load_only_when_asked():
    assert "load_demo" not in _migrate_runs("0") and "load_demo" not in _migrate_runs("")
    assert _migrate_runs("1") == ["migrate", "collectstatic", "purge_page_cache", "load_demo", "update_index"]
    assert resolved_environment("migrate")["AYNI_LOAD_DEMO"] == "0"
    assert "load_demo" not in DOCKERFILE.read_text()


def test_the_stack_trusts_the_one_reverse_proxy_in_front():
    assert resolved_environment("web")["AYNI_TRUSTED_PROXIES"] == "1"


# --- Wiring of the whole stack ---------------------------------------------------


def test_depends_on_targets_exist_and_conditions_hold():
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services().items():
        for target, spec in depends_on(service).items():
            assert target in services(), f"{name} depends on unknown service {target!r}"
            condition = spec.get("condition", "service_started")
            assert condition in conditions, f"{name} -> {target}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services()[target], f"{name} waits for {target} to be healthy: no healthcheck"
            if condition == "service_completed_successfully":
                assert str(services()[target].get("restart", "no")) == "no", f"{target} is not a one-shot"


def test_data_services_have_healthchecks_and_volumes():
    for name in ("postgres", "redis", "elasticsearch", "ckan", "ckan-db", "solr", "ckan-redis", "web"):
        assert "healthcheck" in services()[name], f"{name} has no healthcheck"
    declared = set(compose().get("volumes") or {})
    for name, service in services().items():
        for source in named_volume_sources(service):
            assert source in declared, f"{name} uses undeclared volume {source!r}"
    for name, path in {
        "postgres": "/var/lib/postgresql/data",
        "ckan-db": "/var/lib/postgresql/data",
        "elasticsearch": "/usr/share/elasticsearch/data",
        "solr": "/var/solr",
        "ckan": "/var/lib/ckan",
        "web": "/app/var/media",
    }.items():
        targets = [str(volume).split(":")[1] for volume in services()[name].get("volumes", [])]
        assert path in targets, f"{name} keeps {path} outside a volume"


WRITTEN_PATHS_PROBE = """
import json
from django.conf import settings
paths = {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}
for alias, storage in settings.STORAGES.items():
    location = storage.get("OPTIONS", {}).get("location")
    if alias != "staticfiles" and storage["BACKEND"].endswith("FileSystemStorage"):
        paths["STORAGES[%s]" % alias] = str(location or settings.MEDIA_ROOT)
if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    paths["EMAIL_FILE_PATH"] = str(settings.EMAIL_FILE_PATH)
print(json.dumps(paths))
"""


def test_files_the_portal_writes_live_on_volumes():
    """MEDIA_ROOT, every file storage and the e-mail directory, as the production settings
    resolve them with the web service's environment, are on a volume of web, worker and migrate."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **resolved_environment("web")}
    out = subprocess.run(
        [sys.executable, "-c", WRITTEN_PATHS_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    written = json.loads(out.stdout.strip().splitlines()[-1])
    assert written["MEDIA_ROOT"] == "/app/var/media"
    for service in APP_SERVICES:
        targets = [str(volume).split(":")[1] for volume in services()[service].get("volumes", [])]
        for what, path in written.items():
            assert any(path == target or path.startswith(target + "/") for target in targets), (
                f"{service}: {what} ({path}) is not on a volume: lost when the container is recreated"
            )


def test_only_the_proxy_and_ckan_are_published_and_ckan_only_on_loopback():
    for name, service in services().items():
        ports = service.get("ports") or []
        if name == "proxy":  # the front door: HTTPS for everybody
            continue
        if name != "ckan":
            assert not ports, f"{name} publishes {ports}; it has no authentication of its own"
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_elasticsearch_is_single_node_without_security_on_the_internal_network():
    environment = resolved_environment("elasticsearch")
    assert environment["discovery.type"] == "single-node"
    assert environment["xpack.security.enabled"] == "false"
    assert "healthcheck" in services()["elasticsearch"]


def test_elasticsearch_image_matches_the_client_pin():
    repository, tag = image_tag("elasticsearch")
    assert repository == "docker.elastic.co/elasticsearch/elasticsearch"
    server = Version(tag)
    assert server.major == 9
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (client,) = [Requirement(dep) for dep in pyproject["project"]["dependencies"] if dep.startswith("elasticsearch")]
    assert str(client.specifier) in {"<10,>=9", ">=9,<10"}, client
    assert server in client.specifier, f"server {server} outside the client pin {client.specifier}"
    assert Version(installed_version("elasticsearch")).major == server.major
    backend = re.search(r"backends\.elasticsearch(\d+)", (ROOT / "ayni" / "settings" / "search.py").read_text())
    assert backend and int(backend[1]) == server.major


def base_image(service: str) -> str:
    """The image a service runs, or the FROM of its inline Dockerfile when it builds one."""
    build = services()[service].get("build")
    if isinstance(build, dict) and build.get("dockerfile_inline"):
        return re.search(r"^FROM\s+(\S+)", build["dockerfile_inline"], re.MULTILINE)[1]
    return services()[service]["image"]


def test_rasa_image_is_3_6_like_the_rasa_venv():
    assert re.fullmatch(r"rasa/rasa:3\.6\.\d+(-full)?", base_image("rasa"))
    pinned = ROOT / "chatbot" / "rasa" / "requirements.txt"
    if pinned.exists():  # the Rasa venv of `make run` and the container run the same version
        assert f"rasa=={base_image('rasa').split(':')[1].removesuffix('-full')}" in pinned.read_text()
    rasa_mounts = [str(volume) for volume in services()["rasa"]["volumes"]]
    assert any(mount.startswith("./chatbot/rasa:") for mount in rasa_mounts)


def test_rasa_serves_nlu_only_behind_its_token():
    """The portal asks Rasa's POST /model/parse and answers itself: no action server, no endpoints."""
    command = _command("rasa")
    assert command[0] == "run" and "--enable-api" in command
    assert command[command.index("--auth-token") + 1] == "${RASA_AUTH_TOKEN:?set RASA_AUTH_TOKEN in .env}"
    assert raw_environment("web")["RASA_AUTH_TOKEN"] == command[command.index("--auth-token") + 1]
    assert not {"--endpoints", "--credentials"} & set(command), command
    assert "train nlu" in COMPOSE.read_text(), "the rasa service documents how to train its NLU model"
    assert "healthcheck" in services()["rasa"]


def test_nothing_refers_to_the_removed_action_server():
    assert "rasa-actions" not in services()
    text = COMPOSE.read_text()
    for gone in ("rasa-actions", "rasa_sdk", "rasa-sdk", "chatbot/actions", "chatbot.actions", "5055", "endpoints.yml"):
        assert gone not in text, f"docker-compose.yml still mentions {gone}"
    for name in services():
        assert "rasa-actions" not in depends_on(services()[name]), f"{name} depends on rasa-actions"
    assert "AYNI_INTERNAL_TOKEN" not in raw_environment("web")
    assert "AYNI_INTERNAL_TOKEN" not in ENV_EXAMPLE.read_text()


def _command(service: str) -> list[str]:
    command = services()[service].get("command") or []
    return command if isinstance(command, list) else command.split()


def _port_option(service: str, default: str) -> str:
    command = _command(service)
    for flag in ("--port", "-p"):
        if flag in command:
            return command[command.index(flag) + 1]
    return default


def test_the_portal_accepts_the_services_that_call_it():
    """A service reaching web by its service name needs that name in ALLOWED_HOSTS and no HTTPS redirect;
    with no such caller, 'web' is not an allowed host."""
    hosts = [host.strip() for host in resolved_environment("web")["ALLOWED_HOSTS"].split(",")]
    callers = {}
    for name in services():
        for key, value in resolved_environment(name).items():
            if "://" in value and urlsplit(value).hostname in {"web", "worker"}:
                assert urlsplit(value).hostname == "web", f"{name}: {key} calls {value}; worker serves no HTTP"
                assert "web" in hosts, f"{name} calls the portal as 'web', not in ALLOWED_HOSTS"
                callers[f"{name}:{key}"] = value
    if not callers:
        assert "web" not in hosts, "nothing in the stack calls the portal by its service name: drop 'web'"
        return
    probe = """
import django, json, sys
django.setup()
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
middleware = SecurityMiddleware(lambda request: None)
out = {}
for path in sys.argv[1:]:
    request = RequestFactory().get(path, HTTP_HOST="web:8000")
    request.get_host()  # raises DisallowedHost when 'web' is not allowed
    response = middleware.process_request(request)
    out[path] = getattr(response, "status_code", 200)
print(json.dumps(out))
"""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **resolved_environment("web")}
    paths = ["/api/guides/ejemplo/", "/api/search/", "/health/", "/tramites/"]
    out = subprocess.run(
        [sys.executable, "-c", probe, *paths], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout.strip().splitlines()[-1])
    assert status["/api/guides/ejemplo/"] == status["/api/search/"] == status["/health/"] == 200, status
    assert status["/tramites/"] == 301, "pages must still be redirected to HTTPS"


def test_ckan_images_are_2_11():
    assert re.fullmatch(r"ckan/ckan-base:2\.11(\.\d+)?", base_image("ckan"))
    assert re.fullmatch(r"ckan/ckan-solr:2\.11-solr9", services()["solr"]["image"])
    environment = resolved_environment("ckan")
    assert urlsplit(environment["CKAN_SQLALCHEMY_URL"]).hostname == "ckan-db"
    assert urlsplit(environment["CKAN_SOLR_URL"]).hostname == "solr"
    assert urlsplit(environment["CKAN_REDIS_URL"]).hostname == "ckan-redis"
    # Stable JWT secrets, or the portal's CKAN_API_TOKEN dies with the container.
    assert environment["CKAN___API_TOKEN__JWT__ENCODE__SECRET"] == environment["CKAN___API_TOKEN__JWT__DECODE__SECRET"]
    assert "datastore" not in environment["CKAN__PLUGINS"].split() or environment.get("CKAN_DATASTORE_WRITE_URL")


# --- Secrets and .env.example -----------------------------------------------------


def test_no_secret_is_committed():
    for name in services():
        for key, value in raw_environment(name).items():
            if SECRET_NAME.search(key):
                assert "${" in value, f"{name}: {key} is written in docker-compose.yml"
            parts = urlsplit(value) if "://" in value else None
            if parts and parts.password:
                assert parts.password.startswith("${"), f"{name}: {key} embeds a literal password"
    portal, compose_only = parse_env_example()
    for name, (value, _active) in {**portal, **compose_only}.items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example gives {name} a value; leave secrets empty"


def test_env_example_documents_exactly_what_the_settings_read():
    portal, compose_only = parse_env_example()
    read = set(settings_variables())
    assert not sorted(read - set(portal)), f"missing from .env.example: {sorted(read - set(portal))}"
    assert not sorted(set(portal) - read), f"not read by any settings module: {sorted(set(portal) - read)}"
    assert not set(compose_only) & read, "a compose-only variable is read by the settings"


def test_env_example_documents_exactly_what_compose_interpolates():
    portal, compose_only = parse_env_example()
    used = set(interpolated_names())
    assert used <= set(portal) | set(compose_only), f"undocumented: {sorted(used - set(portal) - set(compose_only))}"
    assert set(compose_only) <= used, f"unused compose-only variables: {sorted(set(compose_only) - used)}"
    for name in required_names():
        assert (portal.get(name) or compose_only.get(name))[1], f"required {name} is commented out in .env.example"


def test_env_example_shows_the_real_defaults():
    portal, _ = parse_env_example()
    for name, (value, active) in portal.items():
        variable = settings_variables()[name]
        if variable.reader == "env" and variable.constant and variable.default and active:
            assert value, f"{name}= (empty) would override the default {variable.default!r}"
        if active or not variable.constant or variable.default in ("", None, []):
            continue
        if isinstance(variable.default, bool):
            assert (value.lower() in TRUE_WORDS) == variable.default, f"{name}: shown {value!r}"
        elif isinstance(variable.default, list):
            assert [item.strip() for item in value.split(",")] == variable.default, f"{name}: shown {value!r}"
        else:
            assert value == str(variable.default), f"{name}: .env.example shows {value!r}, default {variable.default!r}"


# --- Dockerfile -----------------------------------------------------------------


def test_dockerfile_builds_the_project_on_python_3_11_slim():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert Version("3.11") in SpecifierSet(pyproject["project"]["requires-python"])
    assert re.search(r"pip install (--no-deps )?\.", text)
    assert "collectstatic --noinput" in text
    copy_line = next(line for line in text.splitlines() if "cp -r manage.py" in line)
    packages = set(copy_line.split()) - {"&&", "cp", "-r", "/app/"}
    expected = {
        path.name
        for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
        for path in ROOT.glob(pattern.rstrip("*"))
        if (path / "__init__.py").exists()
    }
    assert expected <= packages, f"Dockerfile does not copy {sorted(expected - packages)}"
    assert "locale" in text, "the translations under locale/ must reach the image"


# --- The production settings, as deployed -----------------------------------------


def _check_deploy(tmp_path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.update(environment)
    env.update(DJANGO_SETTINGS_MODULE="ayni.settings.production", AYNI_VAR_DIR=str(tmp_path / "var"))
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    out = _check_deploy(
        tmp_path,
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.ejemplo.gob.bo",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout + out.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_the_web_service_environment_passes_check_deploy(tmp_path):
    """The environment compose hands to `web` after `cp .env.example .env` (secrets filled in)."""
    out = _check_deploy(tmp_path, resolved_environment("web"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    out = _check_deploy(tmp_path, {"SECRET_KEY": secrets.token_urlsafe(50)})
    assert out.returncode != 0 and "ALLOWED_HOSTS must be set" in out.stderr
