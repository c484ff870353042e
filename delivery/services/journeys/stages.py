"""The lifecycle stage of a person, kept as an append-only history (StageChange)."""

from __future__ import annotations

from datetime import datetime

from brandguard.models import Brand
from delivery import clock, lifecycle
from delivery.models import Contact, Event, LifecycleSettings, StageChange
from delivery.phones import InvalidPhone, parse_phone


def brand_thresholds(brand: Brand) -> lifecycle.Thresholds:
    found = LifecycleSettings.objects.filter(brand_id=brand.pk).first()
    return found.thresholds if found is not None else lifecycle.Thresholds()


def set_personal_send_time(brand: Brand, *, enabled: bool) -> LifecycleSettings:
    """A brand manager turns personal send time on or off. Steps already scheduled keep
    their times; the next ones scheduled follow the switch."""
    found, _ = LifecycleSettings.objects.update_or_create(
        brand=brand, defaults={"personal_send_time": enabled})
    return found


def purchase_times(contact: Contact) -> list[datetime]:
    return list(Event.objects.filter(contact=contact, type=Event.Type.PURCHASED)
                .values_list("occurred_at", flat=True))


def latest_stage(contact: Contact) -> str:
    """The stage last recorded for the person ("" when none was recorded yet)."""
    return (StageChange.objects.filter(contact=contact).order_by("-occurred_at", "-id")
            .values_list("to_stage", flat=True).first() or "")


def refresh_stage(contact: Contact, *, now: datetime, event: Event | None = None,
                  thresholds: lifecycle.Thresholds | None = None) -> str:
    """The person's stage at `now`; a move since the last recorded stage is recorded at
    once, at `now` (with the event that caused it, or none when time moved it: new →
    active → lapsing → churned happen without an event). A late event moves the stage
    when it arrives: the history records what the studio knew and when."""
    limits = thresholds or brand_thresholds(contact.brand)
    stage = lifecycle.stage_at(purchase_times(contact), now, limits)
    before = latest_stage(contact)
    if stage != before:
        StageChange.objects.create(brand_id=contact.brand_id, contact=contact,
                                   from_stage=before, to_stage=stage, event=event,
                                   occurred_at=now)
    return stage


def stage_for(brand: Brand, phone: str, *, now: datetime | None = None) -> str:
    """The stage the decision API uses when a flow does not pass one (an unparseable number
    gets the default here; decide() then refuses it with the usual error)."""
    try:
        phone = parse_phone(phone).e164
    except InvalidPhone:
        return lifecycle.FIRST_TIME_BROWSER
    contact = Contact.objects.filter(brand=brand, phone=phone).select_related("brand").first()
    if contact is None:
        return lifecycle.FIRST_TIME_BROWSER
    return refresh_stage(contact, now=now or clock.now())
