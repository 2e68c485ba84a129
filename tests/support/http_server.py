"""A loopback HTTP server answering as a test says, for the answers the mock sensor API never gives,
and the whole answer a stand-in server sends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(handle: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """The URL of a loopback server that answers every GET with ``handle``, for answers the mock never gives."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()  # a quick shutdown
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sensor/temperatures"
    finally:
        server.shutdown()
        server.server_close()


def send_body(request: BaseHTTPRequestHandler, body: bytes, status: int = 200,
              content_type: str | None = "application/json") -> None:
    """One whole answer; a client that stops reading (a body over its limit) is no error here."""
    request.send_response(status)
    if content_type is not None:
        request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    try:
        request.wfile.write(body)
    except OSError:
        pass
