"""Personal send time: the hour a person is likeliest to click, within the journey's window.
Pure: no Django, no I/O; the clock and the click histories come from the caller.

The model. Clicks fall into 24 local hours. The brand's curve is its clicks by hour with one
pseudo-click per hour (Laplace), so a brand with no clicks yet has a flat curve:

    p_h = (c_h + 1) / (C + 24)

A person with n_h clicks in hour h (N in all) gets the posterior mean of a Dirichlet prior
centred on the brand's curve with pseudo-count k (default 6, as if we had seen k clicks of
theirs spread like everyone else's):

    q_h = (n_h + k · p_h) / (N + k)

With no history q = p (the brand's habit); each click of theirs moves q towards their own
hours, and after a few dozen clicks their habit dominates. The send time is the candidate
instant in the step's window [due, expires) with the highest q of its local hour, among
instants the quiet-hours window allows (every zone of the number open); ties go to the
earliest, so a flat q sends as soon as allowed. Candidates are `due` itself, the first
instant the window opens, and every whole hour after `due`. When no candidate is allowed, `due` stands: the decision defers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from delivery import quiet_hours

HOURS = 24
DEFAULT_PSEUDO_COUNT = 6.0
MAX_CANDIDATES = 24 * 14  # a two-week window is the longest worth scanning hour by hour


def brand_curve(click_hours: Iterable[int]) -> tuple[float, ...]:
    counts = [0] * HOURS
    for hour in click_hours:
        counts[hour % HOURS] += 1
    return brand_curve_of_counts(counts)


def brand_curve_of_counts(counts: Sequence[int]) -> tuple[float, ...]:
    """p_h from clicks per hour 0-23."""
    if len(counts) != HOURS:
        raise ValueError("one count per hour of the day")
    total = sum(counts)
    return tuple((c + 1) / (total + HOURS) for c in counts)


def person_curve(click_hours: Iterable[int], prior: Sequence[float], *,
                 k: float = DEFAULT_PSEUDO_COUNT) -> tuple[float, ...]:
    """q_h = (n_h + k p_h) / (N + k): the person's hours shrunk toward the brand's curve."""
    if k <= 0:
        raise ValueError("the pseudo-count k must be positive")
    counts = [0] * HOURS
    for hour in click_hours:
        counts[hour % HOURS] += 1
    total = sum(counts)
    return tuple((n + k * p) / (total + k) for n, p in zip(counts, prior, strict=True))


def preferred_hour(curve: Sequence[float]) -> int:
    return max(range(HOURS), key=lambda h: (curve[h], -h))


@dataclass(frozen=True, slots=True)
class Recipient:
    zones: tuple[str, ...]
    state: str | None = None
    window: quiet_hours.Window | None = None  # the brand's (narrowing) window


def local_hour(moment: datetime, zones: Sequence[str]) -> int:
    return moment.astimezone(ZoneInfo(zones[0])).hour


def choose(due: datetime, expires: datetime, curve: Sequence[float], recipient: Recipient
           ) -> datetime:
    """The instant in [due, expires) to send at (see the module docstring)."""
    if expires <= due or not recipient.zones:
        return due
    zones, state, window = recipient.zones, recipient.state, recipient.window
    try:
        first_open = quiet_hours.next_open(due, zones, state, window)
    except (quiet_hours.UnknownZone, quiet_hours.NoSendWindow):
        return due  # the decision will say why it cannot send; timing changes nothing
    best: tuple[float, datetime] | None = None
    for moment in sorted({first_open, *_candidates(due, expires)}):
        if moment >= expires or not quiet_hours.is_open(moment, zones, state, window):
            continue
        score = curve[local_hour(moment, recipient.zones)]
        if best is None or score > best[0]:
            best = (score, moment)
    return due if best is None else best[1]


def first_open(due: datetime, expires: datetime, recipient: Recipient) -> datetime:
    """Personal send time off: the first instant at or after `due` quiet hours allow, if it
    falls before `expires`; otherwise `due` stands and the decision says why."""
    if expires <= due or not recipient.zones:
        return due
    try:
        moment = quiet_hours.next_open(due, recipient.zones, recipient.state, recipient.window)
    except (quiet_hours.UnknownZone, quiet_hours.NoSendWindow):
        return due
    return moment if moment < expires else due


def _candidates(due: datetime, expires: datetime) -> Iterable[datetime]:
    yield due
    hour = due.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for _ in range(MAX_CANDIDATES):
        if hour >= expires:
            return
        yield hour
        hour += timedelta(hours=1)
