"""Reads about journeys: the studio's Journeys page, a person's timeline and their personal
send time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from brandguard.models import Brand
from delivery import audience_selectors, send_time
from delivery.audience_selectors import Moment
from delivery.models import Contact, Journey, JourneyStep, Send, StageChange
from delivery.services.journeys import brand_journeys, timing
from delivery.services.journeys.context import personal_send_time_on

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


def contact_timeline(contact: Contact) -> list[Moment]:
    """The person's whole story for the Contacts page, newest first: consent, decisions,
    sends, clicks and events (delivery.audience_selectors.timeline), with how their stage
    moved and what each journey did about their behaviour (scheduled, fired, or ended and
    why)."""
    moments = audience_selectors.timeline(contact)
    for change in StageChange.objects.filter(contact=contact).select_related("event"):
        cause = (f" after {change.event.get_type_display().lower()}" if change.event
                 else " (time passed)")
        moments.append(Moment(change.occurred_at, "stage",
                              f"Stage: {change.get_to_stage_display()}",
                              f"from {change.get_from_stage_display() or 'none'}{cause}"))
    for step in JourneyStep.objects.filter(contact=contact).select_related("decision"):
        moments.extend(_step_moments(step))
    return sorted(moments, key=lambda m: m.at, reverse=True)


def _step_moments(step: JourneyStep) -> list[Moment]:
    name = f"{step.get_intent_display()} journey"
    scheduled = Moment(step.created_at, "step", f"{name}: step scheduled",
                       f"triggered {step.trigger_at:%Y-%m-%d %H:%M}, due "
                       f"{step.due_at:%Y-%m-%d %H:%M} UTC, worth sending until "
                       f"{step.expires_at:%Y-%m-%d %H:%M} UTC")
    if step.status == JourneyStep.Status.PENDING:
        return [scheduled]
    ended_at = step.finished_at or step.created_at
    why = f"{step.reason}" + (f": {step.detail}" if step.detail else "") if step.reason else ""
    if step.status == JourneyStep.Status.FIRED:
        decision = step.decision
        asked = f"decision {decision.status}" if decision is not None else "decision asked"
        # A fired step's waiting send can still be canceled by an exit: its reason shows.
        return [Moment(ended_at, "step", f"{name}: step fired",
                       " · ".join(filter(None, [asked, why])), "bad" if step.reason else "good"),
                scheduled]
    # Listed before the scheduling: a step stored already ended reads end-first, newest first.
    return [Moment(ended_at, "step", f"{name}: step {step.status} ({step.reason})", why, "bad"),
            scheduled]


@dataclass(frozen=True)
class SendTimeProfile:
    """A person's engaged hours against the brand's clicks (delivery.send_time), for a small
    chart."""

    zone: str
    person_hours: int           # engaged hours of theirs (clicks and shopping, each hour once)
    brand_clicks: int
    person: tuple[float, ...]   # q_h: the person's curve shrunk toward the brand's
    brand: tuple[float, ...]    # p_h
    preferred_hour: int
    own_weight: float           # N / (N + k): how much of q is the person's own habit
    switched_on: bool           # the brand's personal send time switch


def send_time_profile(contact: Contact, *, now: datetime) -> SendTimeProfile | None:
    """None for a number without a known time zone (there is no local hour to prefer)."""
    if not contact.time_zones:
        return None
    counts = timing.brand_click_counts(contact.brand_id, now=now)
    person_hours = timing.person_engaged_hours(contact, now=now)
    brand = send_time.brand_curve_of_counts(counts)
    person = send_time.person_curve(person_hours, brand)
    n = len(person_hours)
    return SendTimeProfile(
        zone=contact.time_zones[0], person_hours=n, brand_clicks=sum(counts),
        person=person, brand=brand, preferred_hour=send_time.preferred_hour(person),
        own_weight=n / (n + send_time.DEFAULT_PSEUDO_COUNT),
        switched_on=personal_send_time_on(contact.brand_id))
