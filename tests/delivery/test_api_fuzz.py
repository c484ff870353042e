"""Schemathesis against our own OpenAPI, in-process over WSGI: no input may produce a 5xx,
and every response must match the documented status codes, content type and schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from studio.wsgi import application
from tests.factories import make_contact

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# Loading needs no database: the OpenAPI document is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def wsgi_in_test_transaction(pool_brand):
    # Some generated phones will hit a real, consented contact and the full decide path.
    make_contact(pool_brand, "+12125550123")
    # The test's transaction must survive each request: like Django's test client, keep
    # the WSGI handler from closing "old" connections at request boundaries.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_input_makes_the_api_fail_or_break_its_schema(case, api_key,
                                                         wsgi_in_test_transaction):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)
