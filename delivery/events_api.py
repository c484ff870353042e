"""What flows report after a decision (`POST /api/v1/events`, `/api/v1/events/batch`) and
what they read back (`GET /api/v1/decisions/{id}`).

Mounted on the decision API (`delivery/api.py`), with its auth and typed errors."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from pydantic import ValidationError

from delivery import selectors, services
from delivery.api import ERRORS, brand_of, decision_body
from delivery.schemas import (
    DecisionReadOut,
    EventAccepted,
    EventBatchIn,
    EventBatchOut,
    EventIn,
)
from delivery.services import BehaviourReport, DecisionNotFound, EventReport, EventResult
from delivery.services.behaviour import BEHAVIOUR_TYPES

router = Router(tags=["events"])


@router.post("/events", response={202: EventAccepted, 409: ERRORS[422], **ERRORS},
             summary="Report a send, delivery, failure, click, conversion, purchase or "
                     "opt-out (idempotent on event_id)")
def create_event(request: HttpRequest, payload: EventIn):
    event, created = _record_one(brand_of(request), payload)
    return Status(202, {"event_id": event.event_id, "duplicate": not created})


def _record_one(brand, payload: EventIn):
    return services.record_event(
        brand, event_id=payload.event_id, phone=payload.phone, type=payload.type,
        decision_id=payload.decision_id, occurred_at=payload.occurred_at, data=payload.data())


@router.post("/events/batch", response={200: EventBatchOut, **ERRORS},
             summary="Report up to 1,000 events; one answer per event, in order")
def create_events(request: HttpRequest, payload: EventBatchIn):
    brand = brand_of(request)
    answers: list[dict | None] = [None] * len(payload.events)
    reports, behaviour, positions, behaviour_positions = [], [], [], []
    for index, item in enumerate(payload.events):
        try:
            event = EventIn.model_validate(item)
        except ValidationError as error:
            answers[index] = _invalid(index, item, error)
            continue
        if event.type in BEHAVIOUR_TYPES:
            behaviour.append(BehaviourReport(event.event_id, event.type, event.phone,
                                             event.decision_id, event.occurred_at,
                                             event.data()))
            behaviour_positions.append(index)
            continue
        reports.append(EventReport(event.event_id, event.type, event.phone, event.decision_id,
                                   event.occurred_at))
        positions.append(index)
    # Behaviour first: an opt-out in the same batch then ends at once the steps its
    # visits started, instead of leaving them pending until they come due.
    if behaviour:
        for index, result in zip(behaviour_positions,
                                 services.record_behaviour_events(brand, behaviour),
                                 strict=True):
            answers[index] = _answer(index, result)
    for index, result in zip(positions, services.record_events(brand, reports), strict=True):
        answers[index] = _answer(index, result)
    counts = {status: sum(1 for a in answers if a and a["status"] == status)
              for status in ("accepted", "duplicate", "error")}
    return Status(200, {"accepted": counts["accepted"], "duplicates": counts["duplicate"],
                        "errors": counts["error"], "results": answers})


def _answer(index: int, result: EventResult) -> dict:
    error = result.error
    return {"index": index, "event_id": result.event_id, "status": result.status,
            "error": None if error is None else {"code": error.code, "message": error.message,
                                                  "field": error.field}}


def _invalid(index: int, item: object, error: ValidationError) -> dict:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    event_id = item.get("event_id") if isinstance(item, dict) else None
    return {"index": index, "event_id": event_id if isinstance(event_id, str) else None,
            "status": "error",
            "error": {"code": "validation_error", "message": first.get("msg", "invalid"),
                      "field": field}}


@router.get("/decisions/{decision_id}", response={200: DecisionReadOut, 404: ERRORS[422],
                                                   **ERRORS},
            summary="A decision, its send's current status and its events", tags=["decisions"])
def read_decision(request: HttpRequest, decision_id: UUID):
    found = selectors.decision_readback(brand_of(request), decision_id, now=timezone.now())
    if found is None:
        raise DecisionNotFound("no decision with this id for this brand", field="decision_id")
    decision, state, events = found
    return Status(200, {
        **decision_body(decision), "created_at": decision.created_at, "phone": decision.phone,
        "intent": decision.intent, "stage": decision.stage,
        "send": None if state is None else asdict(state),
        "events": [{"event_id": e.event_id, "type": e.type, "occurred_at": e.occurred_at,
                    "received_at": e.received_at} for e in events],
    })
