"""Django's HTTP handling under the ASGI server: one thread hop per request, on a bounded pool.

Django's own ``ASGIHandler`` runs the middleware, the view and the template
rendering of a synchronous project (this one: every view but the chat API)
through its asynchronous path: a new thread for every request
(``ThreadSensitiveContext``), and a trip between that thread and the event
loop at each step between the middleware, the view, the rendering and every
receiver of the request signals. Measured on an uncached guide page that was
about a third of the request's CPU (some 10 ms of 30) and most of a cached or
trivial answer's.

``PooledASGIHandler`` keeps Django's ASGI request and response handling (the
body read, ``ASGIRequest``, the response sent in chunks, streaming) and runs
the rest as ``WSGIHandler`` does: the request signals and the synchronous
middleware chain in one call, on a pool of ``threads`` long-lived threads per
process. An ordinary response is complete (and closed: ``request_finished``,
the thread's database connection given back) before the first byte is sent;
a streaming one (a file download) is sent and closed as Django's handler does.
An async view (the chat API) still works: Django runs it with ``async_to_sync``.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # the synchronous chain, as under WSGI
        self.executor = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ayni-http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with ThreadSensitiveContext():  # what a streaming response's iterator needs, as in Django
            await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self.executor, self.respond, scope, body_file, loop)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away mid-answer
            finally:
                if response.streaming:
                    await sync_to_async(response.close)()
        finally:
            body_file.close()

    def respond(self, scope, body_file, loop):
        """The request's synchronous part, in a pool thread: signals, middleware, view, rendering."""
        # An async view (``async_to_sync``) runs on the server's event loop, as under Django's own
        # handler, not on a loop of its own: what asgiref's SyncToAsync tells the threads it starts.
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the ASGI server chunks further
        if not response.streaming:
            response.close()  # the content is in memory: request_finished runs here, in this thread
        return response
