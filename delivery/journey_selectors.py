"""Reads about journeys: the studio's Journeys page and a person's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from brandguard.models import Brand
from delivery.models import Contact, Event, Journey, JourneyStep, Send, StageChange
from delivery.services.journeys import brand_journeys

STATUSES = [s.value for s in JourneyStep.Status]


@dataclass
class JourneyRow:
    journey: Journey
    counts: dict[str, int] = field(default_factory=dict)  # step status -> count
    exits: dict[str, int] = field(default_factory=dict)   # reason -> count
    sends: dict[str, int] = field(default_factory=dict)   # send status of fired steps


def journey_overview(brand: Brand) -> list[JourneyRow]:
    """Every journey of the brand (created with the defaults if missing), highest priority
    first, with live counts per step status, exits by reason and what its sends became."""
    rows = {j.pk: JourneyRow(j, {s: 0 for s in STATUSES})
            for j in sorted(brand_journeys(brand).values(), key=lambda j: -j.priority)}
    steps = JourneyStep.objects.filter(journey__brand=brand)
    for journey_id, status, n in steps.values_list("journey", "status").annotate(n=Count("id")):
        rows[journey_id].counts[status] = n
    ended = steps.exclude(reason="").values_list("journey", "reason").annotate(n=Count("id"))
    for journey_id, reason, n in ended:
        rows[journey_id].exits[reason] = rows[journey_id].exits.get(reason, 0) + n
    sent = (Send.objects.filter(decision__journey_steps__journey__brand=brand)
            .values_list("decision__journey_steps__journey", "status").annotate(n=Count("id")))
    for journey_id, status, n in sent:
        rows[journey_id].sends[status] = n
    return list(rows.values())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str      # event | stage | step
    title: str
    detail: str = ""
    status: str = ""


def journey_timeline(contact: Contact, *, limit: int = 200) -> list[TimelineEntry]:
    """What the person did, how their stage moved and what each journey did about it,
    newest first (for the Contacts page's timeline)."""
    entries: list[TimelineEntry] = []
    for event in Event.objects.filter(contact=contact).order_by("-occurred_at")[:limit]:
        product = (event.data.get("product") or {}).get("name", "")
        order = event.data.get("order") or {}
        detail = product or (f"order {order.get('id')} · {order.get('value')}" if order else "")
        entries.append(TimelineEntry(event.occurred_at, "event", event.get_type_display(),
                                     detail))
    for change in StageChange.objects.filter(contact=contact).order_by("-occurred_at")[:limit]:
        entries.append(TimelineEntry(
            change.occurred_at, "stage", f"Stage: {change.get_to_stage_display()}",
            f"from {change.get_from_stage_display() or 'none'}"
            + (f" after {change.event.get_type_display().lower()}" if change.event else "")))
    steps = (JourneyStep.objects.filter(contact=contact).select_related("decision__send")
             .order_by("-created_at")[:limit])
    for step in steps:
        entries.append(TimelineEntry(step.created_at, "step",
                                     f"{step.get_intent_display()} journey: {step.status}",
                                     _step_detail(step), step.status))
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


def _step_detail(step: JourneyStep) -> str:
    parts = [f"due {step.due_at:%Y-%m-%d %H:%M} UTC"]
    if step.reason:
        parts.append(f"reason {step.reason}" + (f" ({step.detail})" if step.detail else ""))
    send = getattr(step.decision, "send", None) if step.decision_id else None
    if step.decision_id and step.decision is not None:
        parts.append(f"decision {step.decision.status}")
    if send is not None:
        parts.append(f"send {send.status}")
    return " · ".join(parts)
