"""The rule registry: every rule id, where it comes from and whether a brand may tune it.

Tiers follow docs/domain.md. LAW (TCPA/FCC) and CARRIER (CTIA, carrier filtering) rules
protect the sender's number and the brand from fines and suspension, so a brand policy can
neither switch them off nor downgrade them. TWILIO rules are hard platform limits. Only
POLICY rules are the brand's own taste and can be set to block, warn or off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Tier(StrEnum):
    LAW = "LAW"
    CARRIER = "CARRIER"
    TWILIO = "TWILIO"
    POLICY = "POLICY"


OFF = "off"
OVERRIDE_VALUES = frozenset({Severity.BLOCK.value, Severity.WARN.value, OFF})


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    category: str  # the family of checks, for grouping in the UI
    tier: Tier
    source: str  # the rule's authority, shown to the approver
    default_severity: Severity

    @property
    def tunable(self) -> bool:
        return self.tier is Tier.POLICY

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "category": self.category,
            "tier": self.tier.value,
            "source": self.source,
            "default_severity": self.default_severity.value,
            "tunable": self.tunable,
        }


_B, _W = Severity.BLOCK, Severity.WARN
_BRAND = "Brand policy"

# (id, category, tier, source, default severity)
_TABLE = [
    # CTIA Messaging Principles and Best Practices (2023), sections 5.1-5.2 and 4.
    ("BRAND_ID", "compliance", Tier.CARRIER, "CTIA", _B),
    ("OPTOUT_FIRST", "compliance", Tier.CARRIER, "CTIA", _B),
    ("OPTOUT_PERIODIC", "compliance", Tier.CARRIER, "CTIA", _B),
    ("OPTOUT_KEYWORD", "compliance", Tier.CARRIER, "CTIA", _B),
    ("CONFIRM_RATES", "compliance", Tier.CARRIER, "CTIA", _B),
    ("CONFIRM_FREQUENCY", "compliance", Tier.CARRIER, "CTIA", _B),
    ("CONFIRM_HELP", "compliance", Tier.CARRIER, "CTIA", _B),
    ("HELP_CONTACT", "compliance", Tier.CARRIER, "CTIA", _B),
    # FCC 2012 SoundBite ruling, kept by the 2024 revocation order (47 CFR 64.1200(a)(12)):
    # one confirmation after STOP, with no marketing in it.
    ("OPTOUT_CONFIRM_NO_MARKETING", "compliance", Tier.LAW, "FCC", _B),
    ("PUBLIC_SHORTENER", "links", Tier.CARRIER, "Twilio 30963", _B),
    ("LINK_DOMAIN", "links", Tier.POLICY, _BRAND, _B),
    # SHAFT: CTIA Messaging Principles section 4 (disallowed content).
    ("SHAFT_SEX", "shaft", Tier.CARRIER, "CTIA", _B),
    # Words carrier content filters score as adult ("sexy", "adults only", "18+"): a warning
    # alone, SHAFT_SEX in combination (brandguard/checks/shaft.py).
    ("SHAFT_SEX_SIGNAL", "shaft", Tier.CARRIER, "CTIA; carrier content filters", _W),
    ("SHAFT_HATE", "shaft", Tier.CARRIER, "CTIA", _B),
    ("SHAFT_ALCOHOL", "shaft", Tier.CARRIER, "CTIA", _B),
    ("SHAFT_FIREARMS", "shaft", Tier.CARRIER, "CTIA", _B),
    ("SHAFT_TOBACCO", "shaft", Tier.CARRIER, "CTIA", _B),
    ("CANNABIS", "shaft", Tier.CARRIER, "CTIA", _B),
    ("DECEPTIVE_URGENCY", "content", Tier.CARRIER, "CTIA", _B),
    ("ALL_CAPS", "spam", Tier.POLICY, _BRAND, _W),
    ("EXCESS_PUNCT", "spam", Tier.POLICY, _BRAND, _W),
    ("EXCESS_EMOJI", "spam", Tier.POLICY, _BRAND, _W),
    ("LENGTH", "length", Tier.POLICY, _BRAND, _B),
    ("ENCODING_UCS2", "length", Tier.POLICY, _BRAND, _W),
    # Twilio rejects a body over 1,600 characters outright (error 21617).
    ("MAX_BODY", "length", Tier.TWILIO, "Twilio 21617", _B),
    ("BANNED_PHRASE", "brand", Tier.POLICY, _BRAND, _B),
    ("REQUIRED_PHRASE", "brand", Tier.POLICY, _BRAND, _B),
    ("MERGE_FIELD", "merge_fields", Tier.POLICY, _BRAND, _B),
    ("TONE_ENTHUSIASM", "tone", Tier.POLICY, _BRAND, _W),
    ("TONE_URGENCY", "tone", Tier.POLICY, _BRAND, _W),
    ("TONE_FORMALITY", "tone", Tier.POLICY, _BRAND, _W),
    ("TONE_SENTIMENT", "tone", Tier.POLICY, _BRAND, _W),
]

RULES: dict[str, RuleSpec] = {row[0]: RuleSpec(*row) for row in _TABLE}
TONE_RULES = {
    "enthusiasm": "TONE_ENTHUSIASM",
    "urgency": "TONE_URGENCY",
    "formality": "TONE_FORMALITY",
    "sentiment": "TONE_SENTIMENT",
}


def effective_severity(rule_id: str, overrides: dict[str, str]) -> Severity | None:
    """The severity a finding of ``rule_id`` carries under a brand's overrides; None is "off".

    Overrides of LAW, CARRIER and TWILIO rules are ignored rather than rejected so that a
    stored policy written before a rule changed tier still loads.
    """
    spec = RULES[rule_id]
    wanted = overrides.get(rule_id) if spec.tunable else None
    if wanted is None:
        return spec.default_severity
    if wanted == OFF:
        return None
    return Severity(wanted)
