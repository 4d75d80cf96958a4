"""The bridge's sending: one keep-alive session, no needless round trips, datasets in parallel.

A small in-memory CKAN (real HTTP/1.1 on loopback, CKAN's action API and
error shapes) records every call, the connection it came on and how many
calls were in flight at once.
"""

import email.parser
import email.policy
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opendata import services
from opendata.ckan import services as ckan_services
from opendata.models import CkanOutbox, CkanState, Dataset
from tests.opendata.conftest import CSV_V1, CSV_V2

pytestmark = pytest.mark.django_db


class FakeCkan:
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.calls: list[tuple[str, dict]] = []
        self.connections: set[tuple] = set()
        self.packages: dict[str, dict] = {}  # by id
        self.reject_names: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a production CKAN

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = self.path.rstrip("/").rsplit("/", 1)[-1]
                data = fake.decode(self.headers.get("Content-Type", ""), raw)
                with fake.lock:
                    fake.calls.append((action, data))
                    fake.connections.add(self.client_address)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.delay:
                        time.sleep(fake.delay)
                    with fake.lock:
                        status, body = fake.answer(action, data)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def decode(content_type: str, raw: bytes) -> dict:
        if content_type.startswith("application/json"):
            return json.loads(raw or b"{}")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        data = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data[name] = payload if part.get_filename() else payload.decode()
        return data

    def find(self, key: str) -> dict | None:
        return self.packages.get(key) or next((p for p in self.packages.values() if p["name"] == key), None)

    def answer(self, action: str, data: dict) -> tuple[int, dict]:
        not_found = (404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
        if action == "package_create" or action == "package_patch":
            name = data.get("name")
            package = self.find(data["id"]) if action == "package_patch" else None
            if action == "package_patch" and package is None:
                return not_found
            clash = self.find(name) if name else None
            if name in self.reject_names or (clash is not None and clash is not package):
                return 409, {
                    "success": False,
                    "error": {"__type": "Validation Error", "name": ["That URL is already in use."]},
                }
            if package is None:
                package = {"id": str(uuid.uuid4()), "resources": [], "state": "active"}
                self.packages[package["id"]] = package
            package.update({k: v for k, v in data.items() if k not in ("id", "resources")})
            return 200, {"success": True, "result": json.loads(json.dumps(package))}
        if action == "package_show":
            package = self.find(data["id"])
            return (200, {"success": True, "result": package}) if package else not_found
        if action == "package_delete":
            package = self.find(data["id"])
            if package is None:
                return not_found
            package["state"] = "deleted"
            return 200, {"success": True, "result": None}
        if action in ("resource_create", "resource_update"):
            package = self.packages[data["package_id"]]
            fields = {k: v for k, v in data.items() if k != "upload"}
            if action == "resource_create":
                fields["id"] = str(uuid.uuid4())
                package["resources"].append(fields)
            else:
                [current] = [r for r in package["resources"] if r["id"] == data["id"]]
                current.update(fields)
            return 200, {"success": True, "result": fields}
        return 400, {"success": False, "error": {"__type": "Validation Error", "action": [action]}}

    def actions(self) -> list[str]:
        return [action for action, _data in self.calls]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_ckan(ckan_settings):
    fake = FakeCkan()
    ckan_settings.CKAN_URL = fake.url
    ckan_settings.CKAN_SYNC_WORKERS = 4
    yield fake
    fake.close()


def make_datasets(count: int, *, prefix: str = "paralelo") -> list[Dataset]:
    datasets = []
    for i in range(count):
        dataset = services.dataset_create(title=f"Conjunto {i}", slug=f"{prefix}-{i}", tags=["prueba"], publish=True)
        resource = services.resource_create(dataset=dataset, slug="datos", title="Datos")
        services.resource_version_upload(resource=resource, filename="datos.csv", data=CSV_V1)
        datasets.append(Dataset.objects.get(pk=dataset.pk))
    return datasets


def test_first_push_creates_without_asking_then_updates_by_the_recorded_id(fake_ckan, resource):
    services.resource_version_upload(resource=resource, filename="v1.csv", data=CSV_V1)
    dataset = resource.dataset
    report = ckan_services.ckan_outbox_process()
    assert report.done == 1 and report.sent == 1, report.errors
    assert fake_ckan.actions() == ["package_create", "resource_create"]  # no package_show
    [package] = fake_ckan.packages.values()
    assert CkanState.objects.get(dataset=dataset).ckan_id == package["id"]
    [upload] = [data["upload"] for action, data in fake_ckan.calls if action == "resource_create"]
    assert upload.startswith(b"distrito,nombre,monto")

    fake_ckan.calls.clear()
    services.resource_version_upload(resource=resource, filename="v2.csv", data=CSV_V2)
    assert ckan_services.ckan_outbox_process().sent == 1
    assert fake_ckan.actions() == ["package_patch", "resource_update"]
    assert fake_ckan.calls[0][1]["id"] == package["id"]
    assert package["resources"][0]["ayni_version"] == "2"

    assert ckan_services.ckan_sync(all_datasets=True).failed == 0  # sends the demo datasets, once
    fake_ckan.calls.clear()
    report = ckan_services.ckan_sync(all_datasets=True)
    assert report.sent == 0 and report.failed == 0 and fake_ckan.calls == []  # nothing changed: no HTTP at all


def test_package_unknown_to_the_portal_but_present_in_ckan_is_updated(fake_ckan, dataset):
    fake_ckan.packages["old"] = {"id": "old", "name": dataset.slug, "resources": [], "state": "deleted"}
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    report = ckan_services.ckan_outbox_process()
    assert report.done == 1, report.errors
    assert fake_ckan.actions() == ["package_create", "package_show", "package_patch"]
    assert fake_ckan.packages["old"]["state"] == "active" and len(fake_ckan.packages) == 1
    assert CkanState.objects.get(dataset=dataset).ckan_id == "old"


def test_recorded_id_gone_from_ckan_creates_the_package_again(fake_ckan, dataset):
    ckan_services.ckan_sync(all_datasets=True)
    fake_ckan.packages.clear()  # purged in CKAN
    fake_ckan.calls.clear()
    services.dataset_save(dataset=Dataset.objects.get(pk=dataset.pk), tags=["otra"])
    assert ckan_services.ckan_outbox_process().done == 1
    assert fake_ckan.actions() == ["package_patch", "package_create"]
    [package] = fake_ckan.packages.values()
    assert CkanState.objects.get(dataset=dataset).ckan_id == package["id"]


def test_sync_sends_in_parallel_over_a_few_kept_alive_connections(fake_ckan, ckan_settings):
    make_datasets(12)
    fake_ckan.delay = 0.2  # long enough for calls to overlap
    report = ckan_services.ckan_sync(all_datasets=True)
    assert report.failed == 0 and report.sent == Dataset.objects.filter(is_external=False, status="published").count()
    assert 2 <= fake_ckan.max_in_flight <= 4
    assert len(fake_ckan.connections) <= 4 < len(fake_ckan.calls)  # one session, connections reused

    ckan_settings.CKAN_SYNC_WORKERS = 1
    fake_ckan.max_in_flight = 0
    for item in Dataset.objects.filter(slug__startswith="paralelo-"):
        services.dataset_save(dataset=item, tags=["cambio"])
    assert ckan_services.ckan_outbox_process().sent == 12
    assert fake_ckan.max_in_flight == 1


def test_a_rejected_dataset_fails_alone(fake_ckan):
    datasets = make_datasets(6)
    fake_ckan.reject_names.add(datasets[2].slug)
    report = ckan_services.ckan_outbox_process()
    assert report.done == 5 and report.failed == 1 and report.sent == 5
    states = {entry.ckan_name: entry.state for entry in CkanOutbox.objects.all()}
    assert states.pop(datasets[2].slug) == "failed" and set(states.values()) == {"done"}
    assert "That URL is already in use." in CkanState.objects.get(dataset=datasets[2]).last_error
    assert not CkanState.objects.get(dataset=datasets[0]).last_error
    assert {p["name"] for p in fake_ckan.packages.values()} == {d.slug for d in datasets} - {datasets[2].slug}


def test_changes_of_one_package_keep_their_order(fake_ckan):
    [first, second] = make_datasets(2)
    assert ckan_services.ckan_outbox_process().done == 2
    services.dataset_unpublish(dataset=first)
    services.dataset_publish(dataset=Dataset.objects.get(pk=first.pk))  # delete, then push again: one lane
    services.dataset_save(dataset=Dataset.objects.get(pk=second.pk), tags=["cambio"])
    fake_ckan.calls.clear()
    report = ckan_services.ckan_outbox_process()
    assert report.done == 3 and report.failed == 0, report.errors
    # In the other order the push would find CKAN up to date and send nothing, and the delete would win.
    assert fake_ckan.find(first.slug)["state"] == "active"
    mine = [
        action
        for action, data in fake_ckan.calls
        if data.get("id") in (first.slug, CkanState.objects.get(dataset=first).ckan_id)
    ]
    assert mine == ["package_delete", "package_patch"]


def test_an_entry_claimed_by_another_worker_is_left_alone(fake_ckan, dataset):
    from django.utils import timezone

    entry = ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    # Another worker claimed it a moment ago: its next attempt moved a lease ahead.
    CkanOutbox.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now() + ckan_services._lease())
    report = ckan_services.ckan_outbox_process()
    assert report.skipped == 1 and fake_ckan.calls == []
    entry.refresh_from_db()
    assert entry.state == "pending" and entry.attempts == 0
