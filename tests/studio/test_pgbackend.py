"""The health check without a round trip: a connection the server dropped is found unusable
before a request uses it, a healthy one passes without a query."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spare():
    """A second connection to the test database, ours to break."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict = dict(wrapper.settings_dict)  # ours to change, not the default's
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _server_spoke(wrapper, timeout: float = 5.0) -> None:
    readable, _, _ = select.select([wrapper.connection.fileno()], [], [], timeout)
    assert readable, "the server never told the dropped connection"


def test_a_healthy_idle_connection_is_usable_and_stays_the_same_session(spare):
    pid = spare.connection.info.backend_pid
    assert spare.is_usable()
    with spare.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid


def test_a_connection_the_server_terminated_is_unusable(spare):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [spare.connection.info.backend_pid])
        assert cursor.fetchone()[0] is True
    _server_spoke(spare)
    assert not spare.is_usable()


def test_the_next_request_reconnects_instead_of_failing(spare, settings):
    spare.settings_dict["CONN_HEALTH_CHECKS"] = True
    old_pid = spare.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    _server_spoke(spare)
    # What Django does when a request starts and the first query needs the connection.
    spare.health_check_done = False
    spare.close_if_health_check_failed()
    started = time.monotonic()
    with spare.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new_pid = cursor.fetchone()[0]
    assert new_pid != old_pid and time.monotonic() - started < 5


def test_a_closed_connection_is_unusable(spare):
    spare.connection.close()
    assert not spare.is_usable()


def _traced(wrapper, path, action):
    """The protocol messages `action()` exchanged on the wrapper's connection, and its result."""
    with path.open("w") as sink:
        wrapper.connection.pgconn.trace(sink.fileno())
        try:
            result = action()
        finally:
            wrapper.connection.pgconn.untrace()
    return path.read_text(), result


def test_the_check_sends_nothing_to_the_server(spare, tmp_path):
    trace, usable = _traced(spare, tmp_path / "check.trace", spare.is_usable)
    assert usable and trace == ""
    # The trace itself works: a query leaves its messages in it.
    trace, _ = _traced(spare, tmp_path / "query.trace",
                       lambda: spare.connection.execute("SELECT 1"))
    assert "Query" in trace or "Parse" in trace


def test_a_remote_database_keeps_djangos_select_1(spare, tmp_path):
    spare.settings_dict["HOST"] = "db.internal.example"  # only the health check reads it
    trace, usable = _traced(spare, tmp_path / "check.trace", spare.is_usable)
    assert usable and "SELECT 1" in trace


def test_a_descriptor_above_1024_is_still_checked(spare):
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2100:
        pytest.fail(f"this test needs 2,100 file descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2100), hard))
    high = os.dup2(spare.connection.fileno(), 2000)
    try:
        original = spare.connection.fileno
        spare.connection.fileno = lambda: high  # the same socket, under a high number
        assert spare.is_usable()
    finally:
        spare.connection.fileno = original
        os.close(high)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
