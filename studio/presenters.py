"""Turn stored check reports and version pairs into what templates draw: highlighted text,
the segment meter, tone bars and diffs. No database access; plain data in, plain data out."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import mark_safe

from brandguard import RULES
from brandguard.policy import TONE_DIMENSIONS as TONE_ORDER
from brandguard.scan import VALID_PLACEHOLDER_RE
from copygen.taxonomy import Intent, Stage
from delivery import send_time
from studio import charts
from studio.performance import PoolStats


@dataclass(frozen=True)
class Piece:
    text: str
    severity: str = ""  # "", "warn" or "block"
    title: str = ""  # the rules that flagged this stretch, for the <mark title>


def highlight(text: str, findings: list[dict]) -> list[Piece]:
    """Split ``text`` at every finding span boundary; each piece carries the rules covering
    it. Spans may overlap (a banned phrase in capitals is also shouting), so the pieces are
    cut at every edge rather than nested."""
    spans = [(s, e, f) for f in findings for s, e in f.get("spans", []) if 0 <= s < e <= len(text)]
    edges = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for start, end in zip(edges, edges[1:], strict=False):
        covering = [f for s, e, f in spans if s <= start and end <= e]
        if not covering:
            pieces.append(Piece(text[start:end]))
            continue
        severity = "block" if any(f["severity"] == "block" for f in covering) else "warn"
        title = "; ".join(dict.fromkeys(f"{f['rule']}: {f['message']}" for f in covering))
        pieces.append(Piece(text[start:end], severity, title))
    return pieces


def _capacity(encoding: str, segments: int) -> int:
    """Units that fit in ``segments`` segments (a lone segment holds more: no header)."""
    single, multi = (70, 67) if encoding == "UCS-2" else (160, 153)
    return single if segments <= 1 else multi * segments


def meter(report: dict, *, max_segments: int) -> dict:
    """Two bars against the brand's limit: the text as written (its own units) and the
    worst case with every merge field at its longest. Both are labelled, so a full worst-case
    bar never sits unexplained beside "60 left"."""
    analysis = report.get("analysis") or {}
    segments = analysis.get("segments", 1)
    worst = report.get("worst_case_segments", segments)
    encoding = analysis.get("encoding", "GSM-7")
    units = analysis.get("units", 0)
    limit = max(max_segments, 1)
    return {
        "encoding": encoding,
        "segments": segments,
        "units": units,
        "per_segment": analysis.get("units_per_segment", 160),
        "remaining": analysis.get("remaining", 0),
        "typical": report.get("typical_segments", segments),
        "worst": worst,
        "max_segments": max_segments,
        "over": worst > max_segments,
        "own_over": segments > max_segments,
        "own_fill": min(100, round(100 * units / _capacity(encoding, limit))),
        "has_merge": bool(VALID_PLACEHOLDER_RE.search(report.get("text", ""))),
        "fill": min(100, round(100 * worst / limit)),
        "non_gsm": analysis.get("non_gsm", []),
    }


def tone_rows(report: dict) -> list[dict]:
    rows = []
    tone = report.get("tone") or {}
    # JSONB does not keep key order, so the fixed dimension order is restored here.
    for name in sorted(tone, key=lambda n: (TONE_ORDER.index(n) if n in TONE_ORDER else 99, n)):
        score = tone[name]
        low, high = score["range"]
        rows.append({"name": name, "score": round(score["score"] * 100),
                     "low": round(low * 100), "high": round(high * 100),
                     "width": max(1, round((high - low) * 100)), "in_range": score["in_range"],
                     "mark": min(97, max(0, round(score["score"] * 100) - 1))})
    return rows


def findings_view(report: dict) -> list[dict]:
    """Findings, blocking first, with the rule's tier for the label."""
    rows = [{**f, "tier": f.get("tier") or (RULES[f["rule"]].tier.value
                                            if f["rule"] in RULES else "")}
            for f in report.get("findings", [])]
    return sorted(rows, key=lambda f: (f["severity"] != "block", f["rule"]))


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) pieces with op "equal", "ins" or "del", on word boundaries."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


# --- Delivery data -------------------------------------------------------------------------

def mask_phone(phone: str) -> str:
    """"+12125550123" → "+1212•••••23": enough to tell people apart in a list, not enough
    to text them (the outbox is visible to every role)."""
    if len(phone) <= 6:
        return "•" * len(phone)
    head = 5 if len(phone) >= 11 else 3
    return phone[:head] + "•" * (len(phone) - head - 2) + phone[-2:]


# What each stored reason code means, in the words a reviewer uses (codes: delivery.eligibility
# and delivery.services.decisions; an unknown code is shown as it is).
REASON_LABELS = {
    "OPTED_OUT": "Opted out (replied STOP)",
    "NO_CONSENT": "No consent on record",
    "CONSENT_EXPIRED": "Consent too old for the brand's limit",
    "INVALID_NUMBER": "Number not valid",
    "NON_GEOGRAPHIC": "Number has no location (quiet hours unknowable)",
    "UNKNOWN_TIMEZONE": "Time zone of the number unknown",
    "SUPPRESSED": "Suppressed: they already bought",
    "FREQ_CAP": "Frequency cap reached",
    "QUIET_HOURS": "Quiet hours at the recipient",
    "NO_SEND_WINDOW": "No hour open in every time zone of the number",
    "HELD_FOR_REVIEW": "Contact held for human review",
    "NO_APPROVED_VARIANT": "No approved variant in the pool",
    "CONTENT_BLOCKED": "Brandguard blocked the rendered text",
    "VARIANT_WITHDRAWN": "The text was retired or sent back to review before sending",
    "FIRST_MESSAGE_WITHOUT_OPT_OUT": "Would have been their first text, without opt-out words",
}


def reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code.replace("_", " ").capitalize())


def arm_label(variant_id: int, version: int) -> str:
    return f"#{variant_id} v{version}"


def pool_view(stats: PoolStats, days: list[tuple[date, int]]) -> dict:
    """What the performance template draws for one pool: labels, rows and the two charts."""
    # "Leading" only means something where the bandit has a choice (two or more active arms).
    best = stats.best if stats.improvement is not None else None
    labels = [arm_label(arm.counts.variant_id, arm.counts.version) for arm in stats.arms]
    rows = [{"stats": arm, "label": label, "leading": arm is best}
            for arm, label in zip(stats.arms, labels, strict=True)]
    title = f"{Intent(stats.intent).label} · {Stage(stats.stage).label}"
    intervals = charts.interval_chart(
        [charts.IntervalRow(label, arm.mean, arm.low, arm.high, highlight=arm is best)
         for arm, label in zip(stats.arms, labels, strict=True)],
        title=f"{title}: posterior reward rate per variant, mean and 95% interval")
    bars = charts.bar_chart([(f"{day:%b} {day.day}", n) for day, n in days],
                            title=f"{title}: sends per day")
    return {"intent": stats.intent, "stage": stats.stage, "title": title, "stats": stats,
            "rows": rows, "improvement": stats.improvement, "sends": stats.sends,
            # Both strings come from studio.charts, which escapes every piece of text.
            "interval_svg": mark_safe(intervals), "bars_svg": mark_safe(bars),
            "days": days, "days_sends": sum(n for _, n in days)}


def send_time_view(profile) -> dict | None:
    """The contact page's personal send-time chart (delivery.journey_selectors.SendTimeProfile)
    and the sentence that reads it."""
    if profile is None:
        return None
    svg = charts.hour_chart(
        profile.person, profile.brand, preferred=profile.preferred_hour,
        title=f"Engaged hours by local hour ({profile.zone}): this person's curve as bars, "
              f"the brand's clicks as a dashed line; preferred hour "
              f"{profile.preferred_hour:02d}:00")
    # From studio.charts, which escapes every piece of text.
    return {"profile": profile, "svg": mark_safe(svg),
            "own_percent": round(profile.own_weight * 100),
            "moves_texts": profile.person_hours >= send_time.MIN_OWN_HOURS,
            "min_hours": send_time.MIN_OWN_HOURS,
            "min_gain_percent": round((send_time.MIN_GAIN - 1) * 100)}


# --- Guardrails history ---------------------------------------------------------------------

POLICY_LABELS = {
    "max_segments": "Maximum segments", "emoji_limit": "Emoji limit",
    "allow_unicode": "Unicode (UCS-2) texts allowed", "smart_encoding": "Smart encoding",
    "age_gated": "Age-gated campaign", "banned_phrases": "Banned phrases",
    "required_phrases": "Required phrases", "allowed_link_domains": "Link domains",
    "merge_fields": "Merge fields", "tone": "Tone range", "severity_overrides": "Severity",
    "sample_values": "Sample value", "free_shipping": "Free-shipping offers",
    "max_percent_off": "Max percent off", "percent_off_stages": "Stages with percent off",
}
_LIST_KEYS = ("banned_phrases", "required_phrases", "allowed_link_domains",
              "percent_off_stages")


@dataclass(frozen=True)
class PolicyChange:
    label: str
    before: str = ""
    after: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def _said(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) for v in value):
        return f"{value[0]:g}–{value[1]:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_said(v)}" for k, v in value.items()) or "none"
    if value in ("", None):
        return "none"
    return str(value)


def _merge_field(spec: dict | None) -> str:
    if not spec:
        return "not declared"
    return f"up to {spec['max_length']} characters" + (", may be non-GSM" if spec["non_gsm"]
                                                        else "")


def _keyed(label: str, before: dict, after: dict, show=_said, missing: str = "none"
           ) -> list[PolicyChange]:
    return [PolicyChange(f"{label}: {key}", show(before[key]) if key in before else missing,
                         show(after[key]) if key in after else missing)
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def policy_changes(before: dict | None, after: dict) -> list[PolicyChange]:
    """What one policy version changed against the one before, field by field, in a brand
    manager's words. ``before``/``after`` are {"rules", "offers"}; None for the first."""
    old = {**_normal(before["rules"]), **(before["offers"] or {})} if before else {}
    new = {**_normal(after["rules"]), **(after["offers"] or {})}
    changes: list[PolicyChange] = []
    for key, label in POLICY_LABELS.items():
        a, b = old.get(key), new.get(key)
        if before is not None and a == b:
            continue
        if key in _LIST_KEYS:
            a, b = list(a or []), list(b or [])
            changes.append(PolicyChange(label, added=tuple(x for x in b if x not in a),
                                        removed=tuple(x for x in a if x not in b))
                           if before is not None else PolicyChange(label, after=", ".join(b)
                                                                   or "none"))
        elif key == "tone":
            changes += _keyed(label, a or {}, b or {})
        elif key == "merge_fields":
            changes += _keyed(label, a or {}, b or {}, show=_merge_field,
                              missing="not declared")
        elif key == "severity_overrides":
            changes += _keyed(label, a or {}, b or {}, missing="default")
        elif key == "sample_values":
            changes += _keyed(label, a or {}, b or {}, missing="default")
        elif b is not None or a is not None:
            changes.append(PolicyChange(label, "" if before is None else _said(a), _said(b)))
    return [c for c in changes if c.added or c.removed or c.before != c.after]


def _normal(rules: dict) -> dict:
    """Stored rules with the engine's defaults filled in, so a key that was merely absent
    before does not read as a change."""
    from brandguard import Policy

    try:
        data = Policy.from_dict(rules or {}).to_dict()
    except (TypeError, ValueError):
        return dict(rules or {})
    return {key: value for key, value in data.items()
            if key not in ("brand_name", "support_contact", "website_domain")}
