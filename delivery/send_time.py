"""Personal send time: the hour a person is likeliest to engage, within the journey's window.
Pure: no Django, no I/O; the clock and the histories come from the caller.

The evidence. A person's engaged hours: each clock hour in which they clicked a text or
browsed, carted, checked out or bought counts once (`distinct_hours`), however busy it
was: a session of ten product views is one sign of being around then, not ten. Clicks on
texts are rare (a few a month for an engaged shopper); sessions are what tells when a
person is on their phone, as Braze's Intelligent Timing also counts session times beside
opens and clicks (docs/domain.md).

The model. Hours fall into 24 local hours. Counts are first spread over neighbouring hours
with a Gaussian kernel around the clock (standard deviation 2 hours, the total kept): an
evening at 18:40 and one at 20:10 are the same habit, and a handful of hours would otherwise
crown whichever hour happened to get two. The brand's curve is its spread clicks by hour
with one pseudo-click per hour (Laplace), so a brand with no clicks yet has a flat curve:

    p_h = (c̃_h + 1) / (C + 24)

(spread like a person's, so a brand whose clicks pile up in one hour, say after its morning
campaigns, does not outweigh a person's evenings by being sharper). A person's spread counts
ñ_h (N engaged hours in all) are then shrunk toward the brand's curve as the posterior mean
of a Dirichlet prior with pseudo-count k (default 3, as if we had seen k hours of theirs
spread like everyone else's):

    q_h = (ñ_h + k · p_h) / (N + k)

With no history q = p (the brand's habit); each engaged hour of theirs moves q towards their
own hours: with 3 their habit weighs half, with a dozen four fifths.

The choice. A person with fewer than MIN_OWN_HOURS engaged hours keeps the first open
minute: a triggered text's due time follows something they just did, which says more about
when they are around than the brand's average does (sending everyone at the brand's peak
lost in our simulator). Otherwise the candidates are the first instant at or after `due`
that the quiet-hours window allows (every zone of the number open) and every allowed whole
hour after it, before `expires`; the best is the one whose local hour has the highest q
(ties to the earliest). The text moves there only if that q is at least MIN_GAIN (1.25)
times the first allowed instant's: waiting costs freshness, and a smaller difference is
within the noise of a few hours' history. When no instant of the window is allowed, `due`
stands and the decision defers it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from delivery import quiet_hours

HOURS = 24
DEFAULT_PSEUDO_COUNT = 3.0
SPREAD_HOURS = 2.0  # the kernel's standard deviation, in hours
MIN_OWN_HOURS = 3  # fewer engaged hours of the person's own: the first open minute
MIN_GAIN = 1.25  # move a text only to an hour this much likelier than the first allowed one
MAX_CANDIDATES = 24 * 14  # a two-week window is the longest worth scanning hour by hour


def hour_counts(hours: Iterable[int]) -> list[int]:
    counts = [0] * HOURS
    for hour in hours:
        counts[hour % HOURS] += 1
    return counts


def brand_curve(click_hours: Iterable[int]) -> tuple[float, ...]:
    return brand_curve_of_counts(hour_counts(click_hours))


def brand_curve_of_counts(counts: Sequence[int], *, spread: float = SPREAD_HOURS
                          ) -> tuple[float, ...]:
    """p_h from clicks per hour 0-23, spread over neighbouring hours like a person's."""
    if len(counts) != HOURS:
        raise ValueError("one count per hour of the day")
    total = sum(counts)
    return tuple((c + 1) / (total + HOURS) for c in spread_over_neighbours(counts, spread))


def person_curve(hours: Iterable[int], prior: Sequence[float], *,
                 k: float = DEFAULT_PSEUDO_COUNT, spread: float = SPREAD_HOURS
                 ) -> tuple[float, ...]:
    """q_h = (ñ_h + k p_h) / (N + k): the person's hours, spread over their neighbours,
    shrunk toward the brand's curve."""
    if k <= 0:
        raise ValueError("the pseudo-count k must be positive")
    counts = hour_counts(hours)
    total = sum(counts)
    spread_counts = spread_over_neighbours(counts, spread)
    return tuple((n + k * p) / (total + k) for n, p in zip(spread_counts, prior, strict=True))


def spread_over_neighbours(counts: Sequence[float], spread: float) -> tuple[float, ...]:
    """Each hour's count shared with the hours around it by a Gaussian kernel of standard
    deviation `spread` hours, around the clock (23:00 and 00:00 are neighbours); the total
    stays the same. 0: the counts as they are."""
    if spread <= 0:
        return tuple(float(c) for c in counts)
    reach = min(HOURS // 2 - 1, max(1, round(3 * spread)))
    offsets = range(-reach, reach + 1)
    weights = [math.exp(-0.5 * (d / spread) ** 2) for d in offsets]
    norm = sum(weights)
    out = [0.0] * HOURS
    for hour, count in enumerate(counts):
        if count:
            for d, w in zip(offsets, weights, strict=True):
                out[(hour + d) % HOURS] += count * w / norm
    return tuple(out)


def distinct_hours(moments: Iterable[datetime]) -> list[datetime]:
    """The first moment of each clock hour (UTC) the moments fall in, oldest first."""
    first: dict[datetime, datetime] = {}
    for moment in sorted(moments):
        first.setdefault(moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0),
                         moment)
    return list(first.values())


def preferred_hour(curve: Sequence[float]) -> int:
    return max(range(HOURS), key=lambda h: (curve[h], -h))


@dataclass(frozen=True, slots=True)
class Recipient:
    zones: tuple[str, ...]
    state: str | None = None
    window: quiet_hours.Window | None = None  # the brand's (narrowing) window


def local_hour(moment: datetime, zones: Sequence[str]) -> int:
    return moment.astimezone(ZoneInfo(zones[0])).hour


def choose(due: datetime, expires: datetime, curve: Sequence[float], recipient: Recipient, *,
           own_hours: int) -> datetime:
    """The instant in [due, expires) to send at, for a person with `own_hours` engaged hours
    behind `curve` (see the module docstring)."""
    if own_hours < MIN_OWN_HOURS:
        return first_open(due, expires, recipient)
    if expires <= due or not recipient.zones:
        return due
    zones, state, window = recipient.zones, recipient.state, recipient.window
    try:
        opens = quiet_hours.next_open(due, zones, state, window)
    except (quiet_hours.UnknownZone, quiet_hours.NoSendWindow):
        return due  # the decision will say why it cannot send; timing changes nothing
    if opens >= expires:
        return due  # no instant of the window is allowed
    baseline = curve[local_hour(opens, zones)]
    best = (baseline, opens)
    for moment in sorted(_candidates(due, expires)):
        if moment <= opens or moment >= expires \
                or not quiet_hours.is_open(moment, zones, state, window):
            continue
        score = curve[local_hour(moment, zones)]
        if score > best[0]:
            best = (score, moment)
    return best[1] if best[0] >= MIN_GAIN * baseline else opens


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
