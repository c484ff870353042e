"""What the bandit learns: a send is a trial, a click or conversion a success, an opt-out soon
after a send a penalty (events a flow reports are applied by `services/events.py`, behaviour
events by `services/behaviour.py`). Every count moves once, by a conditional UPDATE on the decision, and
the arm counts move with F() expressions, so concurrent workers never double count or lose
an update."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F

from delivery import clock
from delivery.models import ArmState, Contact, Decision, Event, ShortLink
from delivery.selectors import delivery_settings


def _arm(decision: Decision):
    return ArmState.objects.filter(brand_id=decision.brand_id, intent=decision.intent,
                                   stage=decision.stage, variant_id=decision.variant_id or 0)


def _bump(decision: Decision, **changes) -> None:
    if _arm(decision).update(**changes) == 0:
        ArmState.objects.bulk_create(
            [ArmState(brand_id=decision.brand_id, intent=decision.intent, stage=decision.stage,
                      variant_id=decision.variant_id or 0)], ignore_conflicts=True)
        _arm(decision).update(**changes)


@contextmanager
def _counter_transaction():
    """Arm counts are learning statistics, not compliance records. As a transaction of its
    own, commit without waiting for the WAL flush, so the hot arm row (every send of a
    variant updates it) is released at once: a database crash may lose the last few counts,
    never a send, a consent or an opt-out. Nested in a caller's transaction, change nothing."""
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


# count_trial runs after every text. The conditional UPDATE of the decision and the F() bump
# of its arm as one statement: the two ORM updates cost more Python to compile than the rest
# of the sender's bookkeeping. Same conditions as reward_decision's pair, written out.
_COUNT_TRIAL_SQL = """
WITH counted AS (
    UPDATE delivery_decision SET counted_at = %(at)s
    WHERE id = %(decision_id)s AND counted_at IS NULL AND voided_at IS NULL
      AND variant_id IS NOT NULL
    RETURNING brand_id, intent, stage, variant_id
), bumped AS (
    UPDATE delivery_armstate a SET failures = a.failures + 1
    FROM counted c
    WHERE a.brand_id = c.brand_id AND a.intent = c.intent AND a.stage = c.stage
      AND a.variant_id = c.variant_id
    RETURNING a.id
)
SELECT (SELECT count(*) FROM counted), (SELECT count(*) FROM bumped)"""


def count_trial(decision: Decision, *, at: datetime) -> bool:
    """The text went out: one more failure until a reward turns it into a success."""
    with _counter_transaction(), connection.cursor() as cursor:
        cursor.execute(_COUNT_TRIAL_SQL, {"at": at, "decision_id": decision.pk})
        first, bumped = cursor.fetchone()
        if first and not bumped:  # the arm has no row yet: create it, then count
            _bump(decision, failures=F("failures") + 1)
    return bool(first)


def reward_decision(decision: Decision, *, at: datetime) -> bool:
    """A success for the decision's arm, once, and only for a text that actually went out."""
    with _counter_transaction():
        first = Decision.objects.filter(pk=decision.pk, rewarded_at__isnull=True,
                                        counted_at__isnull=False, voided_at__isnull=True
                                        ).update(rewarded_at=at)
        if first:
            _bump(decision, successes=F("successes") + 1, failures=F("failures") - 1)
    return bool(first)


def penalize_recent_send(contact: Contact, *, at: datetime) -> bool:
    """An opt-out within the brand's window after a send costs that send's arm a penalty."""
    settings = delivery_settings(contact.brand)
    since = at - timedelta(days=settings.penalty_window_days)
    latest = (Decision.objects.filter(contact=contact, counted_at__gte=since,
                                      counted_at__lte=at, penalized_at__isnull=True,
                                      voided_at__isnull=True)
              .order_by("-counted_at").first())
    if latest is None:
        return False
    with _counter_transaction():
        first = Decision.objects.filter(pk=latest.pk, penalized_at__isnull=True
                                        ).update(penalized_at=at)
        if first:
            _bump(latest, penalties=F("penalties") + 1)
    return bool(first)


def record_click(link: ShortLink, *, now: datetime | None = None) -> str:
    """Count a visit to /l/<code>; the first one is a click event (and reward). Returns the
    destination. The caller has checked the destination is still allowed."""
    now = now or clock.now()
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        first = ShortLink.objects.filter(pk=link.pk, first_clicked_at__isnull=True
                                         ).update(first_clicked_at=now)
        if first:
            decision = link.decision
            Event.objects.create(brand_id=link.brand_id, event_id=f"link:{link.code}",
                                 phone=decision.phone, contact_id=decision.contact_id,
                                 type=Event.Type.CLICKED, decision=decision, occurred_at=now)
            if "clicked" in delivery_settings(decision.brand).rewarded_event_types:
                reward_decision(decision, at=now)
    return link.destination
