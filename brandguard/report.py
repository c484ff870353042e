"""What ``check`` returns: findings, the segment analysis, tone and the suggested fixes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from brandguard.policy import TONE_DIMENSIONS
from brandguard.rules import Severity

Span = tuple[int, int]


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    category: str
    tier: str
    message: str
    spans: list[Span]
    source: str
    fix: str  # a human suggestion; deterministic edits are in Report.fix_diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "category": self.category,
            "tier": self.tier,
            "message": self.message,
            "spans": [list(s) for s in self.spans],
            "source": self.source,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class Edit:
    """One deterministic fix. ``span`` indexes the ORIGINAL text; an insertion has an empty
    span (start == end)."""

    rule: str
    span: Span
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "span": list(self.span), "before": self.before,
                "after": self.after}


class Driver(NamedTuple):
    """A word or mark that moved a tone score, with its signed weight (a tuple: built by
    the dozen on every check, so cheap to make)."""

    text: str
    span: Span
    weight: float
    kind: str = "word"  # word, mark ("!"), emoji, caps (an ALL-CAPS word), contraction

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "span": list(self.span), "weight": round(self.weight, 3),
                "kind": self.kind}


class ToneScore(NamedTuple):
    dimension: str
    score: float  # 0..1
    range: tuple[float, float]  # the brand's accepted range
    drivers: tuple[Driver, ...]

    @property
    def in_range(self) -> bool:
        low, high = self.range
        return low <= self.score <= high

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "range": list(self.range),
            "in_range": self.in_range,
            "drivers": [d.to_dict() for d in self.drivers],
        }


@dataclass(slots=True)
class Report:
    text: str
    findings: list[Finding]
    analysis: Any  # brandguard.segments.SegmentAnalysis of the text as sent
    # The tone dimensions a rule judged; the others are scored on first read of ``tone``
    # (by ``_more_tone``): a send-time check reads only the findings.
    _tone: dict[str, ToneScore]
    typical_segments: int
    worst_case_segments: int
    fixed_text: str | None = None
    fix_diff: list[Edit] = field(default_factory=list)
    policy_version: int | None = None  # set by callers that store the report
    # The re-check of fixed_text runs on first use of fixed_findings: a send-time check
    # that only reads `passed` does not pay for checking a text nobody will send.
    _recheck: Callable[[], list[Finding]] | None = field(default=None, repr=False,
                                                        compare=False)
    _fixed_findings: list[Finding] | None = field(default=None, repr=False, compare=False)
    _more_tone: Callable[[], dict[str, ToneScore]] | None = field(default=None, repr=False,
                                                                 compare=False)

    @property
    def tone(self) -> dict[str, ToneScore]:
        """Every tone dimension, in the order enthusiasm, urgency, formality, sentiment."""
        if self._more_tone is not None:
            more = self._more_tone()
            self._tone = {name: self._tone.get(name) or more[name] for name in TONE_DIMENSIONS}
            self._more_tone = None
        return self._tone

    @property
    def fixed_findings(self) -> list[Finding]:
        """Findings that remain on fixed_text (e.g. LENGTH after appending the opt-out
        line); empty when there is no fixed text."""
        if self._fixed_findings is None:
            self._fixed_findings = self._recheck() if self._recheck else []
        return self._fixed_findings

    @property
    def passed(self) -> bool:
        for f in self.findings:
            if f.severity is Severity.BLOCK:
                return False
        return True

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def findings_for(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
            "analysis": analysis_to_dict(self.analysis),
            "tone": {name: score.to_dict() for name, score in self.tone.items()},
            "typical_segments": self.typical_segments,
            "worst_case_segments": self.worst_case_segments,
            "fixed_text": self.fixed_text,
            "fix_diff": [e.to_dict() for e in self.fix_diff],
            "fixed_findings": [f.to_dict() for f in self.fixed_findings],
            "policy_version": self.policy_version,
        }


def analysis_to_dict(analysis: Any) -> dict[str, Any]:
    return {
        "sent_text": analysis.sent_text,
        "encoding": analysis.encoding,
        "segments": analysis.segments,
        "units": analysis.units,
        "units_per_segment": analysis.units_per_segment,
        "remaining": analysis.remaining,
        "boundaries": [list(b) for b in analysis.boundaries],
        "non_gsm": [
            {"index": c.index, "char": c.char, "replacement": c.replacement}
            for c in analysis.non_gsm
        ],
    }
