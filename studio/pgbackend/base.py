"""Django's PostgreSQL backend, with a health check that costs no round trip on a local
connection.

CONN_HEALTH_CHECKS makes Django check a persistent connection before each request reuses
it, so a server restart or an idle-session kill costs a reconnect instead of a failed
request. Django checks with `SELECT 1`: a round trip per request, which on the decision API
was one of four (and, with the server on the same cores, a pair of context switches).

A connection the server has given up on tells us without being asked: before it closes the
socket PostgreSQL sends a FATAL message (restart, pg_terminate_backend, idle timeouts), and
a closed socket reads as end of file. So an idle connection is healthy exactly when the
driver still thinks it is open and nothing is waiting to be read on its socket. We never
LISTEN, so no notification can be waiting there; any unexpected byte counts as unhealthy
and costs only a reconnect.

That holds where nothing sits between us and the server: a unix socket or loopback (the
embedded server, a database on the same host). Across a network a NAT or a load balancer
can drop a connection without a word, so there Django's `SELECT 1` stays.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base

_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if not self._local():
            return super().is_usable()
        try:
            # poll(), not select(): select() refuses descriptors numbered 1024 and above.
            watcher = select.poll()
            watcher.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            ready = watcher.poll(0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not ready

    def _local(self) -> bool:
        host = self.settings_dict.get("HOST") or ""
        return host.startswith("/") or host in _LOCAL_HOSTS
