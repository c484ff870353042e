"""The guardrails form: every brandguard Policy field plus the offer policy, edited as
plain fields (one item per line, min/max pairs) and turned back into the stored JSON."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from brandguard import RULES, Policy
from brandguard.models import domain_validator
from brandguard.policy import TONE_DIMENSIONS
from brandguard.scan import VALID_PLACEHOLDER_RE
from copygen.taxonomy import Stage
from studio.phone_preview import effective_samples

SEVERITY_CHOICES = [("", "Default"), ("block", "Block"), ("warn", "Warn"), ("off", "Off")]
# Only POLICY-tier rules are the brand's taste; LAW/CARRIER/TWILIO rules are not tunable.
TUNABLE_RULES = sorted(rule_id for rule_id, spec in RULES.items() if spec.tunable)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _lines_widget():
    return forms.Textarea(attrs={"rows": 4})


class GuardrailsForm(forms.Form):
    max_segments = forms.IntegerField(min_value=1, max_value=10, label="Maximum segments")
    emoji_limit = forms.IntegerField(min_value=0, max_value=20, label="Emoji limit")
    allow_unicode = forms.BooleanField(required=False, label="Allow Unicode (UCS-2) texts")
    smart_encoding = forms.BooleanField(
        required=False, label="Smart encoding is on in the Messaging Service")
    age_gated = forms.BooleanField(required=False, label="Age-gated campaign")
    banned_phrases = forms.CharField(required=False, widget=_lines_widget(),
                                     help_text="One phrase per line.")
    required_phrases = forms.CharField(required=False, widget=_lines_widget(),
                                       help_text="One phrase per line.")
    allowed_link_domains = forms.CharField(required=False, widget=_lines_widget(),
                                           help_text="One bare domain per line.")
    merge_fields = forms.CharField(
        required=False, widget=_lines_widget(),
        help_text="One per line: name max_length [non_gsm], e.g. first_name 20 non_gsm")
    sample_values = forms.CharField(
        required=False, widget=_lines_widget(), label="Sample values for previews",
        help_text="One per line: name = value, e.g. first_name = Jordan. A link field takes a "
                  "URL; previews show it as the short link it becomes.")
    free_shipping = forms.BooleanField(required=False, label="Free-shipping offers allowed")
    max_percent_off = forms.IntegerField(min_value=0, max_value=90, label="Max percent off",
                                         help_text="0 allows no percentage discounts.")
    percent_off_stages = forms.MultipleChoiceField(
        choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Stages that may get percent off", help_text="None ticked: every stage.")
    note = forms.CharField(required=False, max_length=300, label="What changed and why")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dim in TONE_DIMENSIONS:
            for end in ("min", "max"):
                self.fields[f"tone_{dim}_{end}"] = forms.FloatField(
                    min_value=0, max_value=1, label=f"{dim.title()} {end}",
                    widget=forms.NumberInput(attrs={"step": "0.05"}))
        for rule_id in TUNABLE_RULES:
            self.fields[f"severity_{rule_id}"] = forms.ChoiceField(
                choices=SEVERITY_CHOICES, required=False, label=rule_id)

    def tone_pairs(self):
        return [(dim, self[f"tone_{dim}_min"], self[f"tone_{dim}_max"])
                for dim in TONE_DIMENSIONS]

    def severity_fields(self):
        return [(rule_id, RULES[rule_id].default_severity.value, self[f"severity_{rule_id}"])
                for rule_id in TUNABLE_RULES]

    def clean_allowed_link_domains(self):
        domains = [d.lower() for d in _lines(self.cleaned_data["allowed_link_domains"])]
        for domain in domains:
            try:
                domain_validator(domain)
            except ValidationError:
                raise ValidationError(f"“{domain}” is not a bare domain such as "
                                      "summitoutfitters.com.") from None
        return domains

    def clean_merge_fields(self):
        fields = {}
        for line in _lines(self.cleaned_data["merge_fields"]):
            parts = line.split()
            if len(parts) not in (2, 3) or not parts[1].isdigit() or (
                    len(parts) == 3 and parts[2] != "non_gsm"):
                raise ValidationError(f"“{line}”: write name max_length [non_gsm].")
            fields[parts[0].strip("{}")] = {"max_length": int(parts[1]),
                                            "non_gsm": len(parts) == 3}
        return fields

    def clean_sample_values(self):
        samples = {}
        for line in _lines(self.cleaned_data["sample_values"]):
            name, sep, value = (part.strip() for part in line.partition("="))
            name = name.strip("{}")
            if not sep or not VALID_PLACEHOLDER_RE.fullmatch(f"{{{name}}}") or not value:
                raise ValidationError(f"“{line}”: write name = value, e.g. first_name = Jordan.")
            if len(value) > 200:
                raise ValidationError(f"The sample for {name} is over 200 characters.")
            samples[name] = value
        return samples

    def clean(self):
        data = super().clean()
        for dim in TONE_DIMENSIONS:
            low, high = data.get(f"tone_{dim}_min"), data.get(f"tone_{dim}_max")
            if low is not None and high is not None and low > high:
                self.add_error(f"tone_{dim}_max", "The maximum must not be below the minimum.")
        if not self.errors:
            try:
                Policy.from_dict(self.rules())
            except (ValueError, TypeError) as exc:
                raise ValidationError(f"The policy does not load: {exc}") from exc
        return data

    def rules(self) -> dict:
        d = self.cleaned_data
        return {
            "max_segments": d["max_segments"], "allow_unicode": d["allow_unicode"],
            "smart_encoding": d["smart_encoding"], "age_gated": d["age_gated"],
            "banned_phrases": _lines(d["banned_phrases"]),
            "required_phrases": _lines(d["required_phrases"]),
            "allowed_link_domains": d["allowed_link_domains"],
            "emoji_limit": d["emoji_limit"],
            "tone": {dim: [d[f"tone_{dim}_min"], d[f"tone_{dim}_max"]] for dim in TONE_DIMENSIONS},
            "merge_fields": d["merge_fields"],
            "severity_overrides": {r: d[f"severity_{r}"] for r in TUNABLE_RULES
                                   if d.get(f"severity_{r}")},
            "sample_values": d["sample_values"],
        }

    def offers(self) -> dict:
        d = self.cleaned_data
        return {"free_shipping": d["free_shipping"], "max_percent_off": d["max_percent_off"],
                "percent_off_stages": list(d["percent_off_stages"])}


def initial_from(rules: dict, offers: dict, *, website_domain: str = "") -> dict:
    """Form initial data from a stored policy version (engine defaults fill the gaps)."""
    policy = Policy.from_dict(rules).to_dict()
    initial = {key: policy[key] for key in ("max_segments", "emoji_limit", "allow_unicode",
                                            "smart_encoding", "age_gated")}
    for key in ("banned_phrases", "required_phrases", "allowed_link_domains"):
        initial[key] = "\n".join(policy[key])
    initial["merge_fields"] = "\n".join(
        f"{name} {spec['max_length']}" + (" non_gsm" if spec["non_gsm"] else "")
        for name, spec in policy["merge_fields"].items())
    for dim, (low, high) in policy["tone"].items():
        initial[f"tone_{dim}_min"], initial[f"tone_{dim}_max"] = low, high
    # Every declared field shows a sample (the default until the brand sets its own).
    samples = {**effective_samples(policy["merge_fields"], policy["sample_values"],
                                   website_domain), **policy["sample_values"]}
    initial["sample_values"] = "\n".join(f"{name} = {value}" for name, value in samples.items()
                                         if value)
    for rule_id, value in policy["severity_overrides"].items():
        initial[f"severity_{rule_id}"] = value
    initial["free_shipping"] = bool(offers.get("free_shipping"))
    initial["max_percent_off"] = int(offers.get("max_percent_off") or 0)
    initial["percent_off_stages"] = list(offers.get("percent_off_stages") or [])
    return initial
