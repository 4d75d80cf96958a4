"""Schemathesis over ``/api/schema/``: every operation answers as the OpenAPI document says.

The whole run of the schemathesis engine (the same phases as ``schemathesis run``:
examples, coverage, fuzzing and the stateful phase) goes against Django's test
server in this process (pytest-django's ``live_server``), with every check enabled
and a staff session for the staff operations. ``make test`` runs it in a short mode
(``AYNI_FUZZ_EXAMPLES``, default 10, and a time cap, ``AYNI_FUZZ_MAX_SECONDS``);
``make fuzz`` runs it with many more examples. The summary (operations, cases,
failures) is printed either way.

The server and the engine run in other threads, with their own database
connections, so the test uses ``transactional_db`` and loads the demo municipality
itself (``load_demo`` is idempotent).

(``schemathesis.openapi.from_wsgi`` would avoid the server, but schemathesis 4.32
passes ``max_redirects`` to werkzeug in its ``ignored_auth`` probe and errors.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic

EXAMPLES = int(os.environ.get("AYNI_FUZZ_EXAMPLES", "10"))
# A hard cap for the short mode; ``make fuzz`` raises it with the examples.
MAX_SECONDS = int(os.environ.get("AYNI_FUZZ_MAX_SECONDS", "75" if EXAMPLES <= 20 else "1800"))
STATEFUL_STEPS = int(os.environ.get("AYNI_FUZZ_STATEFUL_STEPS", "6" if EXAMPLES <= 20 else "20"))


def _config(*, base_url: str, session: str):
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "seed": int(os.environ.get("AYNI_FUZZ_SEED", "20260909")),
            "max-time": MAX_SECONDS,
            "workers": 1,
            "checks": {"enabled": True},
            # NUL is refused by design before any view (ayni.middleware, tested on its own):
            # it is not part of a valid string here.
            "generation": {"max-examples": EXAMPLES, "allow-x00": False},
            "phases": {"stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
            "suppress-health-check": ["all"],
            # A staff session (django-ninja's ``SessionAuth`` cookie), so that the staff queue
            # answers 200 too (and ``ignored_auth`` checks that it answers 401 without it).
            "auth": {"openapi": {"SessionAuth": {"api_key": session}}},
            "operations": [
                {
                    # Filing a case has rules a schema cannot state (text empty once cleaned,
                    # anonymous only for a denuncia, a contact for notices, unknown unit, file
                    # contents): a schema-valid form may get a 400 with the reason per field.
                    "include-name": "POST /api/complaints/",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "429"]}
                    },
                }
            ],
        }
    )


def _staff_session() -> str:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from participation.models import MunicipalUnit, UnitMembership
    from participation.rules import OFFICERS
    from participation.services import role_groups_ensure

    user = get_user_model().objects.create_user(username="fuzz-officer", password="clave-de-prueba-123456")
    user.groups.add(role_groups_ensure()[OFFICERS])
    for unit in MunicipalUnit.objects.all():
        UnitMembership.objects.create(user=user, unit=unit)
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _run(schema):
    statistic = Statistic()
    errors: list[str] = []
    phases: dict[str, str] = {}
    started: dict[str, float] = {}
    per_phase: dict[str, int] = {}
    finished = None
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
            phase = getattr(event, "phase", None)
            name = phase.value if phase is not None else "fuzz"
            per_phase[name] = per_phase.get(name, 0) + len(event.recorder.cases)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            info = getattr(event, "info", None)
            errors.append(f"{getattr(event, 'label', '')}: {info.message if info else event}")
        elif isinstance(event, events.PhaseStarted):
            started[event.phase.name.value] = event.timestamp
        elif isinstance(event, events.PhaseFinished):
            name = event.phase.name.value
            took = f", {event.timestamp - started[name]:.0f}s" if name in started else ""
            cases = f", {per_phase.get(name, 0)} cases" if name in per_phase else ""
            phases[name] = f"{event.status.value}{cases}{took}" + (
                f" ({event.phase.skip_reason.value})" if event.phase.skip_reason else ""
            )
        elif isinstance(event, events.EngineFinished):
            finished = event
    return statistic, errors, phases, finished


def _report(schema, statistic, errors, phases, finished) -> str:
    operations = schema.statistic.operations.total if hasattr(schema, "statistic") else "?"
    lines = [
        f"== fuzz /api/schema/ (schemathesis {schemathesis.__version__})",
        f"operations: {operations}, tested: {len(statistic.tested_operations)}",
        f"cases: {statistic.total_cases}, with failures: {statistic.cases_with_failures}, "
        f"unique failures: {statistic.total_failures}, errored cases: {statistic.errored_cases}",
        "phases: " + ", ".join(f"{k}={v}" for k, v in phases.items()),
        f"stop: {finished.stop_reason.value if finished else '?'}",
    ]
    for label, groups in statistic.failures.items():
        for group in groups.values():
            for failure in group.failures:
                lines.append(f"FAIL {label}: {failure.title}: {failure.message[:300]}")
            if group.response is not None:
                lines.append(f"     -> {group.response.status_code} {group.response.content[:300]!r}")
            if group.code_sample:
                lines.append(f"     {group.code_sample[:400]}")
    lines.extend(f"ERROR {e}" for e in errors)
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_api_answers_as_its_openapi_document_says(live_server, capsys):
    from cms.demo.loader import load_demo as load_cms
    from opendata.demo.loader import load_demo as load_opendata
    from participation.demo.loader import load_demo as load_participation

    load_cms()
    load_participation()
    load_opendata()

    config = _config(base_url=live_server.url, session=_staff_session())
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", config=config)
    statistic, errors, phases, finished = _run(schema)
    report = _report(schema, statistic, errors, phases, finished)
    with capsys.disabled():
        print("\n" + report)
    assert statistic.total_cases > 0, report
    assert not statistic.failures, report
    assert not errors, report
