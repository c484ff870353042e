"""The decision views render their bodies themselves (delivery/api.py): byte for byte what
ninja renders after validating the same answers against DecisionOut and DecisionBatchOut."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from ninja.responses import NinjaJSONEncoder

from delivery.api import batch_item, decision_body
from delivery.models import Decision
from delivery.schemas import DecisionBatchOut, DecisionOut
from delivery.services.errors import DeliveryError

T0 = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
decisions = st.builds(
    lambda status, variant, text, encoding, segments, reason, micros: Decision(
        id=uuid.uuid4(), status=status, variant_id=variant, text=text, encoding=encoding,
        segments=segments, reason=reason,
        send_at=None if status == "deny" else T0 + timedelta(microseconds=micros)),
    st.sampled_from(["allow", "defer", "deny"]), st.one_of(st.none(), st.integers(1, 10**6)),
    st.text(max_size=30), st.sampled_from(["", "GSM-7", "UCS-2"]), st.integers(0, 10),
    st.sampled_from(["", "FREQ_CAP", "QUIET_HOURS"]), st.integers(0, 10**7))
errors = st.builds(lambda field: DeliveryError("nope: é", field=field),
                   st.one_of(st.none(), st.just("merge.link")))


def rendered(data) -> str:
    return json.dumps(data, cls=NinjaJSONEncoder)


@given(decisions)
def test_a_decisions_body_is_what_ninja_renders(decision):
    ninja = DecisionOut.model_validate(decision_body(decision)).model_dump()
    assert rendered(decision_body(decision)) == rendered(ninja)


@given(st.lists(st.one_of(decisions, errors), min_size=1, max_size=8))
def test_a_batch_body_is_what_ninja_renders(answers):
    plain = {"results": [
        decision_body(a) if isinstance(a, Decision)
        else {"error": {"code": a.code, "message": a.message, "field": a.field}}
        for a in answers]}
    ours = {"results": [batch_item(a) for a in answers]}
    assert rendered(ours) == rendered(DecisionBatchOut.model_validate(plain).model_dump())
