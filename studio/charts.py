"""Small server-side SVG charts: no JavaScript library, nothing fetched, readable as text.

Pure: plain data in, an ``<svg>`` string out. Every piece of text is XML-escaped here, so
the caller may mark the result safe. Colours are presentation attributes (the SVG reads the
same saved on its own); the stylesheet only sizes the element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

INK, MUTED, LINE, ACCENT, OK = "#1d2430", "#5b6576", "#dde2ea", "#1f5fbf", "#1e7a46"
# (axis top, tick step) as rates (1 = 100 %): the top rounds up to one of these so every
# tick lands on a readable percentage (5 %, 10 %…, never 6.25 %).
AXES = ((0.01, 0.002), (0.02, 0.005), (0.05, 0.01), (0.1, 0.02), (0.2, 0.05), (0.25, 0.05),
        (0.4, 0.1), (0.5, 0.1), (0.6, 0.1), (0.8, 0.2), (1.0, 0.2))


@dataclass(frozen=True, slots=True)
class IntervalRow:
    label: str
    mean: float
    low: float
    high: float
    highlight: bool = False  # drawn in the "leading" colour


def axis(value: float) -> tuple[float, float]:
    """(top, step) of the smallest axis in AXES that reaches ``value`` (rates stop at 1)."""
    return next((entry for entry in AXES if value <= entry[0]), AXES[-1])


def percent(value: float) -> str:
    text = f"{value * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def interval_chart(rows: Sequence[IntervalRow], *, title: str, width: int = 600,
                   label_width: int = 60, value_width: int = 140, row_height: int = 28) -> str:
    """A horizontal dot-and-whisker chart: per row the mean as a dot on its interval bar."""
    top, step = axis(max((row.high for row in rows), default=0.0))
    plot = width - label_width - value_width
    height = row_height * len(rows) + 28

    def x(rate: float) -> float:
        return round(label_width + plot * min(max(rate, 0.0), top) / top, 2)

    parts = [_open(width, height, title, "interval")]
    for i in range(round(top / step) + 1):
        tick = step * i
        parts.append(f'<line x1="{x(tick)}" y1="4" x2="{x(tick)}" y2="{height - 20}" '
                     f'stroke="{LINE}"/>')
        parts.append(_text(x(tick), height - 6, percent(tick), anchor="middle", size=11))
    for n, row in enumerate(rows):
        y = 4 + row_height * n + row_height / 2
        colour = OK if row.highlight else ACCENT
        label = f"{row.label}: mean {percent(row.mean)}, 95% interval " \
                f"{percent(row.low)} to {percent(row.high)}"
        parts.append(f"<g><title>{escape(label)}</title>")
        parts.append(_text(label_width - 8, y + 4, row.label, anchor="end", size=12))
        parts.append(f'<line x1="{x(row.low)}" y1="{y}" x2="{x(row.high)}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="6" stroke-linecap="round" '
                     f'stroke-opacity="0.35"/>')
        parts.append(f'<circle cx="{x(row.mean)}" cy="{y}" r="5" fill="{colour}"/>')
        parts.append(_text(width - value_width + 8, y + 4,
                           f"{percent(row.mean)} ({percent(row.low)}–{percent(row.high)})",
                           size=12, colour=MUTED))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(series: Sequence[tuple[str, int]], *, title: str, width: int = 400,
              height: int = 120, axis_width: int = 36) -> str:
    """Vertical bars, one per (label, count), heights proportional to the count."""
    peak = max((value for _, value in series), default=0)
    plot_h = height - 22  # room for the date labels underneath
    slot = (width - axis_width) / max(len(series), 1)
    parts = [_open(width, height, title, "bars"),
             f'<line x1="{axis_width}" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="{LINE}"/>',
             _text(axis_width - 6, 12, str(peak), anchor="end", size=11, colour=MUTED),
             _text(axis_width - 6, plot_h, "0", anchor="end", size=11, colour=MUTED)]
    for n, (label, value) in enumerate(series):
        bar_h = round((plot_h - 4) * value / peak, 2) if peak else 0.0
        left = round(axis_width + slot * n + slot * 0.15, 2)
        parts.append(f"<g><title>{escape(f'{label}: {value}')}</title>"
                     f'<rect class="bar" x="{left}" y="{round(plot_h - bar_h, 2)}" '
                     f'width="{round(slot * 0.7, 2)}" height="{bar_h}" fill="{ACCENT}" rx="2"/>'
                     "</g>")
    # First, middle and last day are enough to read the time axis without crowding it.
    last = len(series) - 1
    for n in sorted({0, len(series) // 2, last}) if series else ():
        # The outer labels hang inwards from their bar's edge so they are never clipped.
        edge = {0: ("start", 0.15), last: ("end", 0.85)}.get(n, ("middle", 0.5))
        x = round(axis_width + slot * (n + edge[1]), 2)
        parts.append(_text(x, height - 4, series[n][0], anchor=edge[0], size=11, colour=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def hour_chart(person: Sequence[float], brand: Sequence[float], *, preferred: int, title: str,
               width: int = 360, height: int = 150, axis_width: int = 36) -> str:
    """24 local hours: the person's curve as bars (their preferred hour in the "leading"
    colour), the brand's curve as a line over them, both as shares of clicks per hour."""
    peak = max([*person, *brand, 0.0]) or 1.0
    top, step = axis(peak)
    plot_h = height - 20
    slot = (width - axis_width) / 24

    def y(share: float) -> float:
        return round(plot_h - (plot_h - 6) * min(share, top) / top, 2)

    parts = [_open(width, height, title, "hours")]
    for i in range(round(top / step) + 1):
        parts.append(f'<line x1="{axis_width}" y1="{y(step * i)}" x2="{width}" '
                     f'y2="{y(step * i)}" stroke="{LINE}"/>')
        parts.append(_text(axis_width - 4, y(step * i) + 4, percent(step * i), anchor="end",
                           size=11, colour=MUTED))
    for hour, share in enumerate(person):
        left = round(axis_width + slot * hour + slot * 0.15, 2)
        colour = OK if hour == preferred else ACCENT
        label = f"{hour:02d}:00: this person {percent(share)}, brand {percent(brand[hour])}"
        parts.append(f"<g><title>{escape(label)}</title>"
                     f'<rect x="{left}" y="{y(share)}" width="{round(slot * 0.7, 2)}" '
                     f'height="{round(plot_h - y(share), 2)}" fill="{colour}" '
                     f'fill-opacity="{1 if hour == preferred else 0.55}" rx="1"/></g>')
    points = " ".join(f"{round(axis_width + slot * (h + 0.5), 2)},{y(share)}"
                      for h, share in enumerate(brand))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="1.5" '
                 f'stroke-dasharray="4 3"/>')
    for hour in (0, 6, 12, 18, 23):
        parts.append(_text(round(axis_width + slot * (hour + 0.5), 2), height - 4,
                           f"{hour:02d}", anchor="middle", size=11, colour=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str, kind: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {width} '
            f'{height}" width="{width}" height="{height}" role="img" aria-label={quoteattr(title)}'
            f' font-family="system-ui, sans-serif"><title>{escape(title)}</title>')


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12,
          colour: str = INK) -> str:
    return (f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{colour}">{escape(text)}</text>')
