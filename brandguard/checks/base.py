"""What every check receives, and the one way to build a finding."""

from __future__ import annotations

from typing import Any

from brandguard.compiled import CompiledPolicy
from brandguard.policy import MessageContext, Policy
from brandguard.report import Finding, Span, ToneScore
from brandguard.rules import RULES
from brandguard.scan import Scan, lazy, overlaps_any


class Subject:
    """The text under check with its policy, context and shared facts."""

    def __init__(
        self,
        text: str,
        policy: Policy,
        context: MessageContext,
        compiled: CompiledPolicy,
        analysis: Any,
    ) -> None:
        self.text = text
        self.policy = policy
        self.context = context
        self.compiled = compiled
        self.scan = Scan(text)
        self.analysis = analysis  # SegmentAnalysis of the template as sent
        # LengthCase of the template with its merge fields filled in (set by the engine)
        self.typical: Any = None
        self.worst: Any = None
        self.tone: dict[str, ToneScore] = {}  # set by the engine before the tone checks
        self.memo: dict[str, Any] = {}  # facts a check computes and another reuses

    @lazy
    def brand_mentions(self) -> list[Span]:
        """The brand name in the copy. A mention inside a link does not count: a domain alone
        does not identify the brand (docs/domain.md §3)."""
        pattern = self.compiled.brand_re
        if pattern is None:
            return []
        low, head = self.scan.low, self.compiled.brand_head
        found = []
        at = low.find(head)
        while at != -1:
            m = pattern.match(low, at)
            if m is not None:
                found.append(m.span())
            at = low.find(head, at + 1)
        protected = self.scan.protected
        if not found or not protected:
            return found
        return [span for span in found if not overlaps_any(*span, protected)]

    @property
    def is_marketing(self) -> bool:
        return self.context.message_type == "marketing"


_TIERS = {rule_id: spec.tier.value for rule_id, spec in RULES.items()}  # Enum.value is slow


def finding(rule_id: str, message: str, spans: list[Span] | None = None, fix: str = "") -> Finding:
    """A finding at the rule's default severity; the engine applies brand overrides."""
    spec = RULES[rule_id]
    return Finding(
        rule=rule_id,
        severity=spec.default_severity,
        category=spec.category,
        tier=_TIERS[rule_id],
        message=message,
        spans=list(spans or []),
        source=spec.source,
        fix=fix,
    )


def quote(text: str, spans: list[Span], limit: int = 5) -> str:
    """The spanned words, quoted and de-duplicated, for messages: '"beer", "vodka"'."""
    seen: list[str] = []
    for start, end in spans:
        word = text[start:end]
        if word not in seen:
            seen.append(word)
    shown = ", ".join(f'"{w}"' for w in seen[:limit])
    return shown + (f" and {len(seen) - limit} more" if len(seen) > limit else "")


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
