"""The WhatsApp webhook's acknowledgement, answered before Django (``ayni.asgi``).

A ``POST /webhooks/whatsapp/`` whose signature is good and whose body is a JSON
object of reasonable depth is recorded (``services.whatsapp_deliveries_record``:
one ``INSERT … ON CONFLICT DO NOTHING``, so an identical re-delivery is a no-op)
and answered 200 here, without Django's request handling: no middleware, no URL
resolution, no thread of its own, no connection opened for it. Everything else —
the GET challenge, a bad or missing signature, a body that is not a JSON object
or is too large, WhatsApp switched off, a database that fails — goes to Django's
view (``chatbot.views.whatsapp_webhook``) with the body replayed, which answers
it exactly as before (401/403/400/404, or the 500 and its log).

Recording: one thread per server process (``DeliveryWriter``) keeps one
database connection and records the deliveries that arrived while it was busy
with the previous ones in a single INSERT, so a burst costs one transaction
(and on PostgreSQL one commit to disk) per batch instead of one per request.
The request waits until its delivery is committed: 200 means recorded. The
connection is given back after ``IDLE_SECONDS`` without deliveries (to the
pool on PostgreSQL). On SQLite the writer asks for the write lock every half
millisecond instead of through SQLite's busy handler, whose growing sleeps left
acknowledgements waiting behind the worker's writes (``_sqlite_poll``).

Headers: the first acknowledgement of a process (per scheme) is answered by
Django's view, and the fast path repeats the headers of that answer (security
headers, CSP, ``Vary``, ``Content-Language``), so the two never differ. The
access log line is Django's: ``"POST [whatsapp_webhook]" 200 …``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection

from ayni import fastpath

logger = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp/"
LOGGED_PATH = "[whatsapp_webhook]"  # ayni.access_log writes the route's name, never the path
BATCH = 100  # deliveries per INSERT at most
IDLE_SECONDS = 5.0
SQLITE_LOCK_POLL = 0.0005  # seconds between two asks for SQLite's write lock
SQLITE_LOCK_WAIT = 20.0  # as long as Django's own SQLite timeout (ayni.settings.database)


class DeliveryWriter:
    """A thread that records deliveries, batching those that wait together into one INSERT."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._polling = None  # the SQLite connection told not to wait by itself

    def submit(self, body: bytes) -> Future:
        """A future that is done (None) once ``body`` is committed, or holds the error."""
        future: Future = Future()
        self._start()
        self._queue.put((body, future))
        return future

    def stop(self, timeout: float = 10) -> None:
        """Finish what is queued, close the connection and end the thread (tests, shutdown)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def _start(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():  # none yet, or inherited by a fork
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="ayni-whatsapp-writer", daemon=True
                )
                self._thread.start()

    def _run(self, jobs: queue.SimpleQueue) -> None:
        try:
            while True:
                try:
                    first = jobs.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    connection.close()  # idle: give the connection back
                    continue
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < BATCH:
                    try:
                        item = jobs.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                self._record(batch)
                if stop:
                    return
        finally:
            connection.close()

    def _record(self, batch: list[tuple[bytes, Future]]) -> None:
        bodies = [body for body, _future in batch]
        error: BaseException | None = None
        for attempt in (1, 2):
            try:
                self._insert(bodies)
                error = None
                break
            except DatabaseError as exc:  # a connection the server dropped: once more on a new one
                error = exc
                connection.close()
                if attempt == 2:
                    break
            except BaseException as exc:  # noqa: BLE001 - handed to the requests, which fall back to Django
                error = exc
                connection.close()
                break
        for _body, future in batch:
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        if error is None:
            from chatbot import services

            services.whatsapp_deliveries_wake()  # after the answers: never delays them

    def _insert(self, bodies: list[bytes]) -> None:
        """One INSERT; on SQLite, waiting for the write lock by polling it (see ``_sqlite_poll``)."""
        from chatbot import services

        if connection.vendor != "sqlite":
            services.whatsapp_deliveries_record(bodies=bodies, wake=False)
            return
        deadline = time.monotonic() + SQLITE_LOCK_WAIT
        while True:
            self._sqlite_poll()
            try:
                services.whatsapp_deliveries_record(bodies=bodies, wake=False)
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(SQLITE_LOCK_POLL)

    def _sqlite_poll(self) -> None:
        """This connection asks for SQLite's write lock without SQLite's own wait.

        SQLite's busy handler sleeps 1, 2, 5, 10 … up to 100 ms between tries, and a
        writer that keeps writing (the worker answering a burst) retakes the lock in
        the gaps: an acknowledgement waited hundreds of milliseconds behind it. Asked
        every ``SQLITE_LOCK_POLL`` seconds instead, it gets the lock in the next gap.
        """
        connection.ensure_connection()
        raw = connection.connection
        if raw is not self._polling:
            raw.execute("PRAGMA busy_timeout = 0")
            self._polling = raw


writer = DeliveryWriter()


class WebhookApp:
    """ASGI: the webhook's acknowledgement without Django; anything else to ``app`` (Django)."""

    def __init__(self, app):
        self.app = app
        # Django's answer to an acknowledgement, per scheme: its headers are repeated.
        self.learned: dict[str, fastpath.Headers] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH or scope.get("root_path"):
            return await self.app(scope, receive, send)
        started = time.monotonic()
        try:
            body = await fastpath.read_body(receive, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        except fastpath.BodyTooLarge as exc:  # Django answers it (400), reading the rest itself
            return await self.app(scope, fastpath.replay(exc.body, receive, more_body=True), send)
        if body is None:
            return None  # the client went away before sending the body
        scheme = fastpath.request_scheme(scope)
        headers = self.learned.get(scheme)
        if headers is None or not self._acceptable(scope, body):
            return await self._django(scope, body, receive, send, scheme)
        try:
            await asyncio.wrap_future(writer.submit(body))
        except Exception:  # noqa: BLE001 - Django's view tries again, and answers (and logs) a failure its way
            logger.warning("WhatsApp delivery not recorded on the fast path: handing it to Django", exc_info=True)
            return await self._django(scope, body, receive, send, scheme)
        await fastpath.respond(send, 200, headers, b"ok")
        fastpath.log_access("POST", LOGGED_PATH, 200, started)
        return None

    @staticmethod
    def _acceptable(scope, body: bytes) -> bool:
        """Signed with the app secret and a JSON object: what Django's view would record and answer 200."""
        from chatbot import whatsapp

        if not settings.WHATSAPP_ENABLED:
            return False
        signature = fastpath.header(scope, b"x-hub-signature-256")
        signature = signature.decode("latin-1") if signature is not None else None
        if whatsapp.signature_error(body=body, signature=signature) is not None:
            return False
        try:
            whatsapp.parse_delivery(body)
            body.decode("utf-8")  # stored as text (json also reads UTF-16 and UTF-32)
        except (whatsapp.MalformedDelivery, UnicodeDecodeError):
            return False
        return True

    async def _django(self, scope, body: bytes, receive, send, scheme: str) -> None:
        """Django's view answers; a 200 "ok" teaches the headers of later acknowledgements."""
        captured = fastpath.Captured()
        await self.app(scope, fastpath.replay(body, receive), captured.wrap(send))
        if (
            scheme not in self.learned
            and captured.status == 200
            and captured.complete
            and captured.body == b"ok"
            and not any(name == b"set-cookie" for name, _value in captured.headers)
        ):
            self.learned[scheme] = [(k, v) for k, v in captured.headers if k not in fastpath.SERVER_HEADERS]
