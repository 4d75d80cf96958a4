import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opendata import services


@pytest.fixture
def dataset(db):
    return services.dataset_create(
        title="Recaudación por distrito",
        slug="recaudacion-por-distrito",
        description="Impuestos recaudados por distrito municipal.",
        publisher="Dirección de Recaudaciones",
        tags=["impuestos", "distritos"],
        theme="ECON",
        publish=True,
    )


@pytest.fixture
def resource(dataset):
    return services.resource_create(dataset=dataset, slug="recaudacion", title="Recaudación 2024")


CSV_V1 = "distrito,nombre,monto\n1,Tacata,1500.5\n2,Piñami,2300\n3,Santo Domingo,-12\n".encode()
CSV_V2 = "distrito,nombre,monto\n1,Tacata,1600\n2,Piñami,2400\n3,Santo Domingo,15\n4,La Chulla,900\n".encode()


@pytest.fixture
def version(resource):
    return services.resource_version_upload(resource=resource, filename="recaudacion.csv", data=CSV_V1)


def xlsx_bytes(sheets: dict[str, list[list]], *, macro: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if macro:
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item.filename))
            dst.writestr("xl/vbaProject.bin", b"\x00macro")
        data = out.getvalue()
    return data


class StubCkan:
    """A local HTTP server answering CKAN's action API with a chosen failure.

    It stands in for CKAN at the HTTP boundary: the bridge talks real HTTP to it.
    """

    def __init__(self):
        self.mode = "500"
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self._answer()

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self):
                stub.requests.append(self.path)
                if stub.mode == "sleep":
                    time.sleep(1.5)
                    status, body = 200, b'{"success": true, "result": {}}'
                elif stub.mode == "409":
                    status = 409
                    body = (
                        b'{"success": false, "error": {"__type": "Validation Error",'
                        b' "name": ["That URL is already in use."]}}'
                    )
                elif stub.mode == "403":
                    status = 403
                    body = b'{"success": false, "error": {"__type": "Authorization Error", "message": "Access denied"}}'
                else:
                    status, body = 500, b"<html>Internal Server Error</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_ckan():
    stub = StubCkan()
    yield stub
    stub.close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def ckan_settings(settings):
    """Turn the bridge on; tests point CKAN_URL where they need."""
    settings.CKAN_URL = closed_port_url()
    settings.CKAN_API_TOKEN = "test-token"
    settings.CKAN_ORGANIZATION = "ayni-ci"
    settings.CKAN_TIMEOUT_SECONDS = 5
    settings.CKAN_RETRY_BASE_SECONDS = 30
    settings.CKAN_RETRY_MAX_SECONDS = 3600
    return settings


@pytest.fixture(scope="session")
def ckan_server():
    """A real CKAN 2.11 on loopback: reused if one answers on the port, else started (and stopped) here."""
    from opendata.ckan.dev.server import ensure_ckan, stop_ckan

    server = ensure_ckan()
    yield server
    stop_ckan(server)


@pytest.fixture
def real_ckan(ckan_server, settings):
    import ckanapi

    settings.CKAN_URL = ckan_server.url
    settings.CKAN_API_TOKEN = ckan_server.token
    settings.CKAN_ORGANIZATION = ckan_server.organization
    settings.CKAN_TIMEOUT_SECONDS = 30
    settings.WAGTAILADMIN_BASE_URL = "https://portal.example.bo"
    return ckanapi.RemoteCKAN(ckan_server.url, apikey=ckan_server.token)


class TcpProxy:
    """Forwards a loopback port to CKAN; stopping it is a CKAN outage as the portal sees it."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.listener = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.listener.settimeout(0.2)
        self._running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        self._running = False
        if self.listener is not None:
            self.thread.join(timeout=5)
            self.listener.close()
            self.listener = None

    def _accept(self):
        while self._running:
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def ckan_proxy(ckan_server):
    from urllib.parse import urlparse

    proxy = TcpProxy(urlparse(ckan_server.url).port)
    yield proxy
    proxy.stop()
