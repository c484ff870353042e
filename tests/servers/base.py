"""What both loopback vendor servers share: a threaded HTTP server on 127.0.0.1 with an
ephemeral port, clean start/stop, and use as a context manager or a fixture."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any, Self


class LoopbackHTTPServer(ThreadingHTTPServer):
    # socketserver only tracks (and server_close only joins) non-daemon handler threads.
    daemon_threads = False
    app: Any


class LoopbackServer:
    """Subclasses set ``handler_class`` and ``thread_name`` and call ``super().__init__()``."""

    handler_class: type
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
