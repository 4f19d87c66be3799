"""The live view's web server: the standard library's threaded HTTP server and server-sent events.

One page (``GET /?token=...``) and one event stream (``GET /events?token=...``): the page opens
an ``EventSource`` and every update is pushed to it; a new connection (a reload, a second tab)
first gets everything published so far, so the page rebuilds its state. A click on a module
of the graph asks for that drawing once (``GET /graph?token=...&step=...&unfold=...``). The
server listens on 127.0.0.1 only, on a free port the system picks (two trainings get two
ports), and answers 403 to any request without the random token of its URL, as Jupyter does.
Each browser connection has a thread of its own that only reads the event log: a closed or
reloaded tab ends that thread and never reaches the training thread, which only appends.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KEEPALIVE_SECONDS = 10.0


class EventLog:
    """Append-only list of (kind, JSON text) events that threads wait on.

    Kinds published with ``replace=True`` (the graph) keep only their latest event, so a new
    connection does not replay every old drawing.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._events: list[tuple[str, str] | None] = []
        self._latest: dict[str, int] = {}
        self.closed = False

    def publish(self, kind: str, payload: Any, replace: bool = False, wake: bool = True
                ) -> None:
        """Append an event (``payload`` is turned into JSON here) and wake the readers, or
        with ``wake=False`` leave them asleep until the next ``wake()`` (or waking publish)."""
        text = to_json(payload)
        with self._changed:
            if replace and kind in self._latest:
                self._events[self._latest[kind]] = None
            self._latest[kind] = len(self._events)
            self._events.append((kind, text))
            if wake:
                self._changed.notify_all()

    def wake(self) -> None:
        """Wake the readers: they send what was published since they last did."""
        with self._changed:
            self._changed.notify_all()

    def events(self) -> list[tuple[str, str]]:
        """Every event still kept, in order."""
        with self._changed:
            return [event for event in self._events if event is not None]

    def wait(self, cursor: int, timeout: float
             ) -> tuple[list[tuple[int, str, str]], int, bool]:
        """Events after position ``cursor`` as (position + 1, kind, JSON text), waiting up to
        ``timeout`` seconds for one; the new cursor; whether the log is closed."""
        with self._changed:
            if cursor >= len(self._events) and not self.closed:
                self._changed.wait(timeout)
            fresh = [(number, *event) for number, event in
                     enumerate(self._events[cursor:], start=cursor + 1) if event is not None]
            return fresh, len(self._events), self.closed

    def close(self) -> None:
        """No more events: readers finish what is left and stop."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def to_json(value: Any) -> str:
    """``value`` as compact JSON, NaN and infinities written as the strings of ``_finite_json``.

    Most payloads are finite: they are encoded in one pass, and only one that is not is walked.
    """
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite_json(value), separators=(",", ":"), allow_nan=False)


def _finite_json(value: Any) -> Any:
    """``value`` with NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (JSON
    has no such numbers; the page reads them back with ``Number``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(item) for item in value]
    return value


class LiveServer:
    """Serves ``page()``, the events of ``log`` and ``drawing(step, module)`` (JSON, or 404
    for None) at ``url`` until ``close()``.

    ``port=0`` lets the system choose a free port. The server threads are daemons: they never
    keep the process alive.
    """

    def __init__(self, log: EventLog, page: Callable[[], str],
                 drawing: Callable[[int, str], dict | None], port: int = 0) -> None:
        self.log, self.page, self.drawing = log, page, drawing
        self.token = secrets.token_urlsafe(16)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/?token={self.token}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"nn.live server :{self.port}", daemon=True)
        self._thread.start()

    def authorised(self, query: str) -> bool:
        """True when the query string carries this server's token."""
        given = parse_qs(query).get("token", [""])[0]
        return secrets.compare_digest(given.encode(), self.token.encode())

    def close(self) -> None:
        """Close the event log (open pages get a last ``done`` event), stop serving, free the
        port. Idempotent."""
        self.log.close()
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        while self._thread.is_alive():
            # The serving loop sees shutdown() only between requests or every 0.5 s poll: an
            # empty connection of our own wakes it now (it reads nothing and ends).
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            self._thread.join(0.01)
        stopper.join()
        self._server.server_close()


def _handler_class(live: LiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nn.live"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the training's terminal is not the place for request logs."""

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            url = urlsplit(self.path)
            if not live.authorised(url.query):
                self._send(403, "text/plain", b"403: this URL needs the token that the "
                                              b"training printed (?token=...)\n")
            elif url.path == "/":
                self._send(200, "text/html; charset=utf-8", live.page().encode("utf-8"))
            elif url.path == "/events":
                self._stream()
            elif url.path == "/graph":
                self._drawing(parse_qs(url.query))
            else:
                self._send(404, "text/plain", b"404: not found\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _drawing(self, query: dict[str, list[str]]) -> None:
            step = query.get("step", [""])[0]
            drawing = live.drawing(int(step), query.get("unfold", [""])[0]) if (
                step.isdigit()) else None
            if drawing is None:
                self._send(404, "text/plain", b"404: no such drawing (the graph was redrawn)\n")
            else:
                body = to_json(drawing).encode("utf-8")
                self._send(200, "application/json", body)

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            # A reconnecting EventSource says what it has seen: resume there, do not replay.
            last_seen = self.headers.get("Last-Event-ID", "0")
            cursor, closed = int(last_seen) if last_seen.isdigit() else 0, False
            try:
                while not closed:
                    events, cursor, closed = live.log.wait(cursor, KEEPALIVE_SECONDS)
                    chunks = [f"id: {number}\nevent: {kind}\ndata: {text}\n\n"
                              for number, kind, text in events]
                    if closed:
                        chunks.append("event: done\ndata: {}\n\n")
                    self.wfile.write(("".join(chunks) or ": keep-alive\n\n").encode("utf-8"))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                return  # the tab was closed or reloaded: only this connection ends

    return Handler
