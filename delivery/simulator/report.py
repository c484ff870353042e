"""What a simulation did, counted from the database rows the run itself wrote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from brandguard.models import Brand
from delivery import journeys, quiet_hours
from delivery.models import Event, JourneyStep, Send
from delivery.selectors import delivery_settings


@dataclass
class Report:
    journeys_fired: int = 0
    exits: dict[str, int] = field(default_factory=dict)
    denied: dict[str, int] = field(default_factory=dict)  # fired, but delivery said no
    sends: int = 0
    clicks: int = 0
    purchases: int = 0
    opt_outs: int = 0
    sends_in_quiet_hours: int = 0
    sends_after_opt_out: int = 0
    cart_sends_after_purchase: int = 0
    events: int = 0
    steps_by_journey: dict[str, int] = field(default_factory=dict)
    copy_filled: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Marks:
    """The highest send and step ids before the run. A run reports only rows past them and
    for its own shoppers' numbers: never an earlier run's kept rows (the demo keeps a
    simulation of its own), nor the brand's real traffic committed meanwhile."""

    send_id: int
    step_id: int

    @classmethod
    def now(cls, brand: Brand) -> Marks:
        last_send = Send.objects.filter(brand=brand).order_by("-pk").values_list(
            "pk", flat=True).first()
        last_step = JourneyStep.objects.filter(brand=brand).order_by("-pk").values_list(
            "pk", flat=True).first()
        return cls(last_send or 0, last_step or 0)


def measure(brand: Brand, report: Report, marks: Marks,
            preferred: dict[str, tuple[str, int]]) -> int:
    """Fill `report` from the run's rows; return how many texts went out within an hour of
    the shopper's preferred local hour (`preferred`: each shopper's phone -> (zone, hour),
    the ground truth)."""
    phones = list(preferred)
    steps = JourneyStep.objects.filter(brand=brand, pk__gt=marks.step_id,
                                       contact__phone__in=phones)
    report.journeys_fired = steps.filter(status=JourneyStep.Status.FIRED).count()
    report.exits = dict(Counter(steps.exclude(status__in=["pending", "fired"])
                                .values_list("reason", flat=True)))
    report.denied = dict(Counter(steps.filter(status="fired").exclude(reason="")
                                 .values_list("reason", flat=True)))
    report.steps_by_journey = dict(Counter(steps.values_list("intent", flat=True)))
    window = delivery_settings(brand).policy.send_window
    sent = Send.objects.filter(brand=brand, pk__gt=marks.send_id, to_phone__in=phones,
                               sent_at__isnull=False).select_related("contact", "decision")
    report.sends = sent.count()
    near = 0
    for send in sent:
        contact = send.contact
        assert send.sent_at is not None  # filtered above
        if not quiet_hours.is_open(send.sent_at, contact.time_zones,
                                   contact.us_state or None, window):
            report.sends_in_quiet_hours += 1
        if contact.opted_out_at is not None and send.sent_at >= contact.opted_out_at:
            report.sends_after_opt_out += 1
        if send.subject == journeys.CART and _bought_before(send):
            report.cart_sends_after_purchase += 1
        zone, hour = preferred[send.to_phone]  # only the run's shoppers were read
        near += abs(send.sent_at.astimezone(ZoneInfo(zone)).hour - hour) <= 1
    return near


def _bought_before(send: Send) -> bool:
    step = JourneyStep.objects.filter(decision_id=send.decision_id).first()
    start = step.trigger_at if step is not None else send.decision.created_at
    return Event.objects.filter(contact=send.contact, type=Event.Type.PURCHASED,
                                occurred_at__gte=start, occurred_at__lte=send.sent_at
                                ).exists()
