"""May we text this person now? A pure function of its arguments (clock injected).

`evaluate()` checks IN ORDER and fails closed; the first failing check decides:

1. opted out (STOP; Twilio 21610)                -> deny OPTED_OUT
2. consent missing or revoked                    -> deny NO_CONSENT
3. consent older than the brand's limit          -> deny CONSENT_EXPIRED
4. number unusable, held for human review        -> deny INVALID_NUMBER | NON_GEOGRAPHIC |
   (docs/domain.md §4)                            UNKNOWN_TIMEZONE, hold_for_review=True
5. suppressed (e.g. purchase after the cart)     -> deny SUPPRESSED
6. frequency caps                                -> defer FREQ_CAP to when every cap frees
7. quiet hours closed in any zone                -> defer QUIET_HOURS to the next open instant
   else                                          -> allow (send_at = now)

Caps and quiet hours are solved together: a defer time is open in every zone AND under every
cap, so a deferred send never has to be deferred again by the same history. Brand caps
defer rather than deny: the flow asked for a send and the cap frees on its own; a flow that
would rather drop a late text can compare `send_at` with its own deadline. Two more denials
close gaps the order above leaves open: NO_SEND_WINDOW (the number's zones never share an
open hour) and CONSENT_EXPIRED when consent lapses before the deferred send time.

Caps count rolling windows (24 h, 7 days) rather than calendar days: "per day" in whose time
zone is ambiguous for a number with two zones, a rolling window never is. `history` must
hold every send to this person by this brand, including ones already scheduled in the
future, across all sending numbers (Fla. Stat. 501.059(8)(a) counts "regardless of the
phone number used"), but NOT the send being evaluated: re-checking a scheduled send just
before the provider call must leave its own row out, or it counts against itself. A record
with an empty subject counts as the same subject (fail closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from delivery import quiet_hours
from delivery.phones import (
    FLAG_INVALID,
    FLAG_NON_GEOGRAPHIC,
    FLAG_TOLL_FREE,
    FLAG_UNKNOWN_TIMEZONE,
    PhoneFacts,
)

# Stable reason codes: stored on decisions, returned by the API. Never rename.
OPTED_OUT = "OPTED_OUT"
NO_CONSENT = "NO_CONSENT"
CONSENT_EXPIRED = "CONSENT_EXPIRED"
INVALID_NUMBER = "INVALID_NUMBER"
NON_GEOGRAPHIC = "NON_GEOGRAPHIC"
UNKNOWN_TIMEZONE = "UNKNOWN_TIMEZONE"
SUPPRESSED = "SUPPRESSED"
FREQ_CAP = "FREQ_CAP"
QUIET_HOURS = "QUIET_HOURS"
NO_SEND_WINDOW = "NO_SEND_WINDOW"

REASON_CODES = frozenset(
    {
        OPTED_OUT,
        NO_CONSENT,
        CONSENT_EXPIRED,
        INVALID_NUMBER,
        NON_GEOGRAPHIC,
        UNKNOWN_TIMEZONE,
        SUPPRESSED,
        FREQ_CAP,
        QUIET_HOURS,
        NO_SEND_WINDOW,
    }
)

# Fla. Stat. 501.059(8)(a), Okla. Stat. tit. 15 775C.4, Md. Code Com. Law 14-4503: at most
# three messages per rolling 24 hours on the same subject matter.
SAME_SUBJECT_CAP_STATES = frozenset({"FL", "OK", "MD"})
SAME_SUBJECT_CAP = 3
DAY = timedelta(hours=24)
WEEK = timedelta(days=7)

# Each round moves the candidate time strictly forward to a cap release or a window opening;
# a history cannot need more rounds than it has records, this is only a guard.
_MAX_ROUNDS = 10_000

Status = Literal["allow", "defer", "deny"]


@dataclass(frozen=True, slots=True)
class ConsentState:
    granted: bool
    granted_at: datetime | None
    revoked: bool
    opted_out: bool


@dataclass(frozen=True, slots=True)
class SendRecord:
    sent_at: datetime  # when it was sent, or is scheduled to be sent
    subject: str


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """A brand's own limits, on top of the law. None means "no brand limit".

    quiet_start/quiet_end bound the brand's QUIET period (no texts from quiet_start until
    quiet_end the next morning), so the brand's send window is [quiet_end, quiet_start).
    It is intersected with the legal window, so it can only narrow it.
    """

    daily_cap: int | None = None
    weekly_cap: int | None = None
    reconfirm_after_days: int | None = None
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    def __post_init__(self) -> None:
        for name in ("daily_cap", "weekly_cap", "reconfirm_after_days"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 or None, got {value}")
        if not self.quiet_end < self.quiet_start:
            raise ValueError("quiet_end (window opens) must be earlier than quiet_start")

    @property
    def send_window(self) -> quiet_hours.Window:
        return self.quiet_end, self.quiet_start


@dataclass(frozen=True, slots=True)
class Verdict:
    """evaluate()'s answer. (delivery.models.Decision is the stored decision that carries it,
    with the copy chosen and rendered.)"""

    status: Status
    reason: str | None = None
    send_at: datetime | None = None
    detail: str = ""
    hold_for_review: bool = False


@dataclass(frozen=True, slots=True)
class _Cap:
    limit: int
    span: timedelta
    times: tuple[datetime, ...]  # sorted
    label: str


def evaluate(
    *,
    now: datetime,
    contact: PhoneFacts,
    consent: ConsentState,
    history: Sequence[SendRecord],
    policy: DeliveryPolicy,
    subject: str,
    suppressed: bool = False,
) -> Verdict:
    now = _aware_utc(now)
    if consent.opted_out:
        return _deny(OPTED_OUT, "the recipient opted out")
    denial = _check_consent(now, consent, policy) or _check_number(contact)
    if denial is not None:
        return denial
    if suppressed:
        return _deny(SUPPRESSED, "suppressed for this send (e.g. purchase after the cart)")
    return _schedule(now, contact, consent, history, policy, subject)


def _check_consent(now: datetime, consent: ConsentState, policy: DeliveryPolicy) -> Verdict | None:
    if not consent.granted or consent.revoked:
        return _deny(NO_CONSENT, "no current consent for this brand")
    if consent.granted_at is None:
        # TCPA: the seller must prove consent; a grant without a time proves nothing.
        return _deny(NO_CONSENT, "consent has no recorded grant time")
    deadline = _consent_deadline(consent, policy)
    if deadline is not None and now >= deadline:
        return _deny(CONSENT_EXPIRED, f"consent older than {policy.reconfirm_after_days} days")
    return None


def _check_number(contact: PhoneFacts) -> Verdict | None:
    flags = contact.flags
    # docs/domain.md §4: do not send, hold for review. Most specific code first.
    if FLAG_INVALID in flags:
        return _hold(INVALID_NUMBER, f"{contact.e164} is not a valid number")
    if FLAG_TOLL_FREE in flags or FLAG_NON_GEOGRAPHIC in flags:
        return _hold(NON_GEOGRAPHIC, f"{contact.e164} is toll-free or not tied to a place")
    if FLAG_UNKNOWN_TIMEZONE in flags:
        return _hold(UNKNOWN_TIMEZONE, f"{contact.e164} has no known time zone")
    try:
        quiet_hours.load_zones(contact.time_zones)
    except quiet_hours.UnknownZone as exc:
        return _hold(UNKNOWN_TIMEZONE, str(exc))
    return None


def _schedule(
    now: datetime,
    contact: PhoneFacts,
    consent: ConsentState,
    history: Sequence[SendRecord],
    policy: DeliveryPolicy,
    subject: str,
) -> Verdict:
    caps = _caps(contact, history, policy, subject)
    try:
        send_at = _earliest_send(now, contact, policy, caps)
    except quiet_hours.NoSendWindow as exc:
        return _deny(NO_SEND_WINDOW, str(exc))
    if send_at == now:
        return Verdict("allow", None, now, "within every window and cap")
    deadline = _consent_deadline(consent, policy)
    if deadline is not None and send_at >= deadline:
        return _deny(CONSENT_EXPIRED, "consent expires before the earliest permitted send")
    capped = [cap.label for cap in caps if not _under_cap(now, cap)]
    if capped:
        return Verdict("defer", FREQ_CAP, send_at, "cap reached: " + "; ".join(capped))
    return Verdict("defer", QUIET_HOURS, send_at, "outside the send window in a zone")


def _earliest_send(
    now: datetime, contact: PhoneFacts, policy: DeliveryPolicy, caps: Sequence[_Cap]
) -> datetime:
    """Earliest instant >= now open in every zone and under every cap.

    Both searches only move forward and return their input when it already passes, so
    alternating them reaches a fixed point that passes both.
    """
    moment = now
    for _ in range(_MAX_ROUNDS):
        moment = quiet_hours.next_open(
            moment, contact.time_zones, contact.us_state, policy.send_window
        )
        freed = max((_cap_frees_at(moment, cap) for cap in caps), default=moment)
        if freed == moment and all(_under_cap(moment, cap) for cap in caps):
            return moment
        moment = freed
    raise quiet_hours.NoSendWindow("no instant satisfies every cap and window")


def _caps(
    contact: PhoneFacts, history: Sequence[SendRecord], policy: DeliveryPolicy, subject: str
) -> list[_Cap]:
    everything = tuple(sorted(_aware_utc(record.sent_at) for record in history))
    caps = []
    if policy.daily_cap is not None:
        caps.append(_Cap(policy.daily_cap, DAY, everything, f"brand {policy.daily_cap}/24h"))
    if policy.weekly_cap is not None:
        caps.append(_Cap(policy.weekly_cap, WEEK, everything, f"brand {policy.weekly_cap}/7d"))
    if contact.us_state in SAME_SUBJECT_CAP_STATES:
        same = tuple(
            sorted(_aware_utc(r.sent_at) for r in history if _same_subject(r.subject, subject))
        )
        label = f"{contact.us_state} law {SAME_SUBJECT_CAP}/24h on {subject!r}"
        caps.append(_Cap(SAME_SUBJECT_CAP, DAY, same, label))
    return caps


def _same_subject(recorded: str, asked: str) -> bool:
    recorded, asked = recorded.strip().casefold(), asked.strip().casefold()
    return not recorded or not asked or recorded == asked


def _under_cap(moment: datetime, cap: _Cap) -> bool:
    """Would one more send at `moment` keep every rolling window within the limit?

    A window [s, s + span) holding `moment` and the most sends starts at a send at or
    before `moment` (or at `moment`); count each such start. Future (scheduled) sends count.
    """
    near = [t for t in cap.times if abs(t - moment) < cap.span]
    points = sorted([*near, moment])
    for start in points:
        if start > moment:
            break
        inside = sum(1 for t in points if start <= t < start + cap.span)
        if inside > cap.limit:
            return False
    return True


def _cap_frees_at(moment: datetime, cap: _Cap) -> datetime:
    """Earliest instant >= moment under the cap: now, or when a send leaves the window."""
    if _under_cap(moment, cap):
        return moment
    releases = sorted(t + cap.span for t in cap.times if t + cap.span > moment)
    for candidate in releases:
        if _under_cap(candidate, cap):
            return candidate
    raise AssertionError("unreachable: after the last release no send is near")


def _consent_deadline(consent: ConsentState, policy: DeliveryPolicy) -> datetime | None:
    if policy.reconfirm_after_days is None or consent.granted_at is None:
        return None
    return _aware_utc(consent.granted_at) + timedelta(days=policy.reconfirm_after_days)


def _deny(reason: str, detail: str) -> Verdict:
    return Verdict("deny", reason, None, detail)


def _hold(reason: str, detail: str) -> Verdict:
    return Verdict("deny", reason, None, detail, hold_for_review=True)


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("aware datetimes only: a naive time could be any zone's")
    return moment.astimezone(UTC)
