"""What both loopback vendor servers share: a threaded HTTP server on 127.0.0.1 with an
ephemeral port, clean start/stop, and use as a context manager or a fixture."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackHTTPServer(ThreadingHTTPServer):
    # socketserver only tracks (and server_close only joins) non-daemon handler threads.
    daemon_threads = False
    app: Any


class LoopbackHandler(BaseHTTPRequestHandler):
    """Hands every request to the server object's ``handle``."""

    protocol_version = "HTTP/1.1"
    timeout = 10  # a stalled client cannot pin a handler thread, so shutdown stays bounded
    server: LoopbackHTTPServer

    def do_POST(self) -> None:
        self.server.app.handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; `server.requests` is the record


class LoopbackServer:
    """Subclasses set ``thread_name``, implement ``handle(request_handler)`` and call
    ``super().__init__()``."""

    handler_class: type = LoopbackHandler
    thread_name = "loopback"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._stopping.clear()
        self._httpd = LoopbackHTTPServer(("127.0.0.1", 0), self.handler_class)
        self._httpd.app = self
        # A short poll interval keeps stop() (and so every fixture teardown) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a scripted delay
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the handler threads
        assert self._thread is not None
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @classmethod
    def serve(cls, **kwargs: Any) -> Iterator[Self]:
        """For fixtures: `yield from Server.serve()`."""
        with cls(**kwargs) as server:
            yield server

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]
