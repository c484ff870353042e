"""A brand's guard policy and the context of one message: plain data, JSON round-trippable."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from brandguard.rules import OVERRIDE_VALUES, RULES

TONE_DIMENSIONS = ("enthusiasm", "urgency", "formality", "sentiment")
MESSAGE_TYPES = ("marketing", "opt_in_confirmation", "help_reply", "opt_out_confirmation")


@dataclass(frozen=True, slots=True)
class MergeField:
    """A placeholder such as ``{first_name}``: its longest value and whether that value may
    hold characters outside GSM-7 (a customer named "Zoë" turns the whole text into UCS-2)."""

    max_length: int
    non_gsm: bool = False

    def __post_init__(self) -> None:
        if self.max_length < 0:
            raise ValueError("MergeField.max_length must be >= 0")


def _default_tone() -> dict[str, tuple[float, float]]:
    return {name: (0.0, 1.0) for name in TONE_DIMENSIONS}


@dataclass
class Policy:
    brand_name: str = ""
    max_segments: int = 2
    allow_unicode: bool = False
    smart_encoding: bool = False
    age_gated: bool = False
    banned_phrases: list[str] = field(default_factory=list)
    required_phrases: list[str] = field(default_factory=list)
    allowed_link_domains: list[str] = field(default_factory=list)
    emoji_limit: int = 3
    tone: dict[str, tuple[float, float]] = field(default_factory=_default_tone)
    merge_fields: dict[str, MergeField] = field(default_factory=dict)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    # Example values for previews only ({"first_name": "Jordan"}); no check reads them.
    sample_values: dict[str, str] = field(default_factory=dict)
    support_contact: str = ""
    website_domain: str = ""

    def __post_init__(self) -> None:
        if self.max_segments < 1:
            raise ValueError("max_segments must be at least 1")
        if self.emoji_limit < 0:
            raise ValueError("emoji_limit must be >= 0")
        self.tone = {**_default_tone(), **{k: _tone_range(k, v) for k, v in self.tone.items()}}
        for rule_id, value in self.severity_overrides.items():
            if rule_id not in RULES:
                raise ValueError(f"severity override for unknown rule {rule_id!r}")
            if value not in OVERRIDE_VALUES:
                raise ValueError(f"severity override {value!r} is not block, warn or off")

    def cache_key(self) -> tuple:
        """Everything the compiled form depends on; a mutated policy gets a new key."""
        return (
            self.brand_name,
            tuple(self.banned_phrases),
            tuple(self.required_phrases),
            tuple(self.allowed_link_domains),
            tuple(self.merge_fields.items()),
            self.support_contact,
            self.website_domain,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["banned_phrases"] = list(self.banned_phrases)
        data["required_phrases"] = list(self.required_phrases)
        data["allowed_link_domains"] = list(self.allowed_link_domains)
        data["tone"] = {k: [lo, hi] for k, (lo, hi) in self.tone.items()}
        data["merge_fields"] = {
            name: {"max_length": mf.max_length, "non_gsm": mf.non_gsm}
            for name, mf in self.merge_fields.items()
        }
        data["severity_overrides"] = dict(self.severity_overrides)
        data["sample_values"] = dict(self.sample_values)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        """Build from stored JSON. Missing keys take defaults (the Django side stores the
        rules without the brand name); unknown keys are an error so typos don't pass."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown policy keys: {sorted(unknown)}")
        kwargs = dict(data)
        if "tone" in kwargs:
            kwargs["tone"] = {k: tuple(v) for k, v in kwargs["tone"].items()}
        if "merge_fields" in kwargs:
            kwargs["merge_fields"] = {
                name: spec if isinstance(spec, MergeField) else MergeField(**spec)
                for name, spec in kwargs["merge_fields"].items()
            }
        for key in ("banned_phrases", "required_phrases", "allowed_link_domains"):
            if key in kwargs:
                kwargs[key] = list(kwargs[key])
        return cls(**kwargs)


def _tone_range(name: str, value: Any) -> tuple[float, float]:
    if name not in TONE_DIMENSIONS:
        raise ValueError(f"unknown tone dimension {name!r}")
    low, high = (float(v) for v in value)
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"tone range for {name} must satisfy 0 <= min <= max <= 1")
    return (low, high)


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What kind of message is being checked; decides which compliance rules apply."""

    message_type: str = "marketing"
    first_message: bool = False
    # None means the sender does not track it, so the 30-day rule cannot be judged.
    days_since_last_optout_notice: int | None = None

    def __post_init__(self) -> None:
        if self.message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {MESSAGE_TYPES}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_type": self.message_type,
            "first_message": self.first_message,
            "days_since_last_optout_notice": self.days_since_last_optout_notice,
        }
