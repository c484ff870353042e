"""The studio's Delivery settings form: the brand's caps, quiet hours and bandit learning."""

from __future__ import annotations

from django import forms

from delivery import quiet_hours
from delivery.models import DeliverySettings
from delivery.services.settings import EDITABLE_FIELDS

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class DeliverySettingsForm(forms.ModelForm):
    class Meta:
        model = DeliverySettings
        fields = EDITABLE_FIELDS
        labels = {
            "daily_cap": "Texts per person per 24 hours",
            "weekly_cap": "Texts per person per 7 days",
            "quiet_end": "Send window opens",
            "quiet_start": "Send window closes",
            "reward_metric": "The bandit learns from",
            "attribution_window_days": "Attribution window (days)",
            "optout_penalty_weight": "Opt-out penalty",
            "penalty_window_days": "Opt-out counts against a text for (days)",
        }
        help_texts = {
            "daily_cap": "Rolling 24 hours, every intent counted, queued texts included. "
                         "1 is the default (like Smart Sending); leave blank for no brand cap.",
            "weekly_cap": "Rolling 7 days. Leave blank for no weekly cap.",
            "quiet_end": "In the person's local time, in every zone of their number. The law "
                         "allows 08:00 (and the brand can only start later).",
            "quiet_start": "The law stops texts at 21:00 (20:00 in FL, OK, MD and WA); the "
                           "brand can only stop earlier.",
            "reward_metric": "Which events count as a success for the copy that was sent.",
            "attribution_window_days": "An event counts for the last text sent to the person "
                                       "within this many days.",
            "optout_penalty_weight": "How many successes one opt-out after a text cancels "
                                     "(0 ignores opt-outs).",
            "penalty_window_days": "An opt-out within this many days of a text counts "
                                   "against that text's copy.",
        }
        widgets = {"quiet_start": _TIME, "quiet_end": _TIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("daily_cap", "weekly_cap"):
            self.fields[name].widget.attrs.update(min=1, max=50)
        self.fields["optout_penalty_weight"].widget.attrs.update(min=0, max=100, step="0.5")
        for name in ("attribution_window_days", "penalty_window_days"):
            self.fields[name].widget.attrs.update(min=1, max=90)

    def clean_daily_cap(self):
        return self._cap("daily_cap")

    def clean_weekly_cap(self):
        return self._cap("weekly_cap")

    def _cap(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        if value is not None and not 1 <= value <= 50:
            raise forms.ValidationError("Use a number from 1 to 50, or leave it blank.")
        return value

    def clean_optout_penalty_weight(self):
        value = self.cleaned_data["optout_penalty_weight"]
        if not 0 <= value <= 100:
            raise forms.ValidationError("Use a weight from 0 to 100.")
        return value

    def clean_attribution_window_days(self):
        return self._days("attribution_window_days")

    def clean_penalty_window_days(self):
        return self._days("penalty_window_days")

    def _days(self, name: str) -> int:
        value = self.cleaned_data[name]
        if not 1 <= value <= 90:
            raise forms.ValidationError("Use a number of days from 1 to 90.")
        return value

    def clean(self):
        data = super().clean()
        opens, closes = data.get("quiet_end"), data.get("quiet_start")
        legal_opens, legal_closes = quiet_hours.FEDERAL_WINDOW
        if opens is not None and opens < legal_opens:
            self.add_error("quiet_end", f"The law allows texts from {legal_opens:%H:%M}; "
                                        "a brand can only start later.")
        if closes is not None and closes > legal_closes:
            self.add_error("quiet_start", f"The law stops texts at {legal_closes:%H:%M}; "
                                          "a brand can only stop earlier.")
        if opens is not None and closes is not None and not opens < closes:
            self.add_error("quiet_start", "The window must close after it opens.")
        daily, weekly = data.get("daily_cap"), data.get("weekly_cap")
        if daily is not None and weekly is not None and weekly < daily:
            self.add_error("weekly_cap", "A week cannot allow fewer texts than a day.")
        return data
