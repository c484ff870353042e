"""The Journeys page's settings form (one per journey)."""

from __future__ import annotations

from django import forms

from delivery.models import Journey

YEAR_IN_MINUTES = 60 * 24 * 365


class JourneySettingsForm(forms.ModelForm):
    wait_minutes = forms.IntegerField(
        label="Wait (minutes)", min_value=0, max_value=YEAR_IN_MINUTES,
        help_text="From the behaviour to the text (replenishment: the item's own interval).")
    freshness_minutes = forms.IntegerField(
        label="Fresh for (minutes)", min_value=1, max_value=YEAR_IN_MINUTES,
        help_text="Past this, a step that could not go out is dropped.")
    priority = forms.IntegerField(min_value=0, max_value=1000,
                                  help_text="The higher wins when two would text at once.")
    lookback_minutes = forms.IntegerField(label="Looks back (minutes)", min_value=1,
                                          max_value=YEAR_IN_MINUTES)

    class Meta:
        model = Journey
        fields = ["enabled", "wait_minutes", "freshness_minutes", "priority", "lookback_minutes"]
        labels = {"enabled": "On"}

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        # Several forms on one page: ids unique per journey.
        kwargs.setdefault("auto_id", f"id_{instance.intent}_%s" if instance else "id_%s")
        super().__init__(*args, **kwargs)


class SendTimeForm(forms.Form):
    """The brand's switch for personal send time (all journeys at once)."""

    personal_send_time = forms.BooleanField(
        label="Personal send time", required=False,
        help_text="On: each text moves to the hour the person clicks most, inside quiet hours "
        "and the freshness window. Off: it goes at the first minute quiet hours allow.")
