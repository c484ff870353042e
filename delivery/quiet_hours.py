"""When a marketing text may arrive, in the recipient's own wall-clock time.

Pure: no Django, no I/O; every function takes the current instant from its caller.

Law (docs/domain.md §4):
- Federal: 08:00-21:00 local (TCPA, 47 CFR 64.1200(c)(1)).
- Florida, Oklahoma, Maryland, Washington: 08:00-20:00 local (Fla. Stat. 501.059(8)(a),
  Okla. Stat. tit. 15 775C.4, Md. Code Com. Law 14-4503, RCW 80.36.390).
- A brand window may only narrow the legal one: it is intersected, never used as is.
- A number can map to several zones (208 -> Boise and Los Angeles): the window must be open
  in EVERY zone at once.

Model: on each local date the window in a zone is one half-open UTC interval
[opens, closes). `opens` is the LAST instant the wall clock reads the start time (or the
end of a DST gap that skips it); `closes` is the FIRST instant it reads the end time (or the
end of a gap that skips it). Inside the interval the wall clock never reads earlier than
the start nor later than the end, so a DST fold can only shorten the window, never stretch
it past the legal hours. Real US transitions happen at 02:00, outside every legal window,
but the rule stays correct for any zone and any brand window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Window = tuple[time, time]  # local [start, end), start < end, no wrap past midnight

FEDERAL_WINDOW: Window = (time(8, 0), time(21, 0))
STRICT_WINDOW: Window = (time(8, 0), time(20, 0))
STRICT_WINDOW_STATES = frozenset({"FL", "OK", "MD", "WA"})

# How far ahead next_open looks. A day always has a window in one zone; several zones far
# apart (e.g. Guam and New York with a narrow brand window) may never overlap.
SEARCH_DAYS = 14


class UnknownZone(ValueError):
    """A zone name zoneinfo cannot load, or no zone at all: fail closed."""


class NoSendWindow(ValueError):
    """The zones' windows never overlap (or the window is empty): nothing can be sent."""


class WindowClosed(ValueError):
    """closes_at() was asked about an instant when the window is not open."""


def legal_window(state: str | None) -> Window:
    return STRICT_WINDOW if state in STRICT_WINDOW_STATES else FEDERAL_WINDOW


def window_for(state: str | None, brand_window: Window | None = None) -> Window:
    """The legal window for the state, narrowed (never widened) by the brand's window."""
    start, end = legal_window(state)
    if brand_window is not None:
        start, end = max(start, brand_window[0]), min(end, brand_window[1])
    if start >= end:
        raise NoSendWindow(f"empty send window {start:%H:%M}-{end:%H:%M}")
    return start, end


def load_zones(zones: Iterable[str]) -> tuple[ZoneInfo, ...]:
    return _load_zones(tuple(zones))


@lru_cache(maxsize=1024)  # a handful of zone sets cover every number; errors are not cached
def _load_zones(names: tuple[str, ...]) -> tuple[ZoneInfo, ...]:
    if not names:
        raise UnknownZone("the number has no known time zone")
    try:
        return tuple(ZoneInfo(name) for name in names)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(f"unknown time zone in {names!r}: {exc}") from None


# Every decision asks about today in a handful of zones; the answer for a (day, zone,
# window) never changes (ZoneInfo(name) returns one cached instance per name).
@lru_cache(maxsize=4096)
def zone_interval(day: date, zone: ZoneInfo, window: Window) -> tuple[datetime, datetime]:
    """UTC [opens, closes) of the window on local date `day` in `zone` (may be empty)."""
    opens = _wall_instant(day, window[0], zone, last=True)
    closes = _wall_instant(day, window[1], zone, last=False)
    return opens, max(opens, closes)


def is_open(
    now_utc: datetime,
    zones: Sequence[str],
    state: str | None,
    brand_window: Window | None = None,
) -> bool:
    """True when `now_utc` is inside the send window in every zone of the number."""
    now = _utc(now_utc)
    window = window_for(state, brand_window)
    return _open_everywhere(now, load_zones(zones), window)


def next_open(
    now_utc: datetime,
    zones: Sequence[str],
    state: str | None,
    brand_window: Window | None = None,
) -> datetime:
    """Earliest instant >= now at which the window is open in every zone (UTC).

    The intersection of half-open intervals starts at one of their starts, so checking
    `now` and every zone's opening instant, in time order, finds the exact answer.
    """
    now = _utc(now_utc)
    window = window_for(state, brand_window)
    loaded = load_zones(zones)
    # A found answer `opens` for an earlier `since` holds for every now in [since, opens):
    # nothing opened in between (it is the earliest), so it is the earliest after now too.
    key = (loaded, window)
    known = _NEXT_OPEN.get(key)
    if known is not None and known[0] <= now < known[1]:
        return known[1]
    if _open_everywhere(now, loaded, window):
        return now
    opens = _next_open(now, loaded, window, zones)
    if len(_NEXT_OPEN) >= 4096:
        _NEXT_OPEN.clear()
    _NEXT_OPEN[key] = (now, opens)
    return opens


_NEXT_OPEN: dict[tuple, tuple[datetime, datetime]] = {}


def _next_open(now: datetime, loaded: tuple[ZoneInfo, ...], window: Window,
               zones: Sequence[str]) -> datetime:
    candidates = {now}
    for zone in loaded:
        today = now.astimezone(zone).date()
        for offset in range(-1, SEARCH_DAYS + 1):
            opens, _ = zone_interval(today + timedelta(days=offset), zone, window)
            if opens > now:
                candidates.add(opens)
    for candidate in sorted(candidates):
        if _open_everywhere(candidate, loaded, window):
            return candidate
    raise NoSendWindow(f"no common send window in {tuple(zones)!r} within {SEARCH_DAYS} days")


def closes_at(
    now_utc: datetime,
    zones: Sequence[str],
    state: str | None,
    brand_window: Window | None = None,
) -> datetime:
    """Earliest instant after `now` at which the window closes in any zone (UTC).

    For Twilio's ValidityPeriod: a text still queued at this instant must expire rather
    than arrive late (docs/domain.md §4). Callers clamp it to Twilio's own maximum.
    """
    now = _utc(now_utc)
    window = window_for(state, brand_window)
    closes = []
    for zone in load_zones(zones):
        opens, close = zone_interval(now.astimezone(zone).date(), zone, window)
        if not opens <= now < close:
            raise WindowClosed(f"window is closed at {now.isoformat()} in {zone.key}")
        closes.append(close)
    return min(closes)


def _open_everywhere(now: datetime, zones: Sequence[ZoneInfo], window: Window) -> bool:
    for zone in zones:
        opens, closes = zone_interval(now.astimezone(zone).date(), zone, window)
        if not opens <= now < closes:
            return False
    return True


def _wall_instant(day: date, wall: time, zone: ZoneInfo, *, last: bool) -> datetime:
    """The UTC instant the wall clock in `zone` reads `wall` on `day`.

    In a fold (the clock reads it twice) `last` picks the later reading. In a gap (the clock
    skips it) the answer is the transition itself, the first instant reading later.
    """
    naive = datetime.combine(day, wall)
    candidate = naive.replace(tzinfo=zone, fold=int(last)).astimezone(UTC)
    if candidate.astimezone(zone).replace(tzinfo=None) == naive:
        return candidate
    return _gap_end(naive, zone)


def _gap_end(naive: datetime, zone: ZoneInfo) -> datetime:
    # PEP 495: a wall time inside a gap maps, through its two folds, to one instant before
    # and one after the transition; bisect between them to the second.
    ends = [naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)]
    low, high = min(ends), max(ends)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0) if high.microsecond else high


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime could be anyone's local time; refusing it is the safe answer.
        raise ValueError("an aware datetime is required (got a naive one)")
    return moment.astimezone(UTC)
