"""The Webhooks page's form: where a brand's signed events go, and which ones."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from delivery import webhook_client
from delivery.models.webhooks import WEBHOOK_EVENT_TYPES

EVENT_CHOICES = [
    ("send.status_changed", "send.status_changed: a studio send was sent, delivered, "
                            "undelivered, failed, deferred or canceled"),
    ("contact.opted_out", "contact.opted_out: someone opted out (STOP, API, Twilio 21610)"),
    ("contact.opted_in", "contact.opted_in: someone opted back in (START)"),
]
assert [c for c, _ in EVENT_CHOICES] == list(WEBHOOK_EVENT_TYPES)


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label="Endpoint URL", max_length=2000, assume_scheme="https",
                         help_text="We POST signed JSON here. HTTPS in production.")
    description = forms.CharField(max_length=200, required=False,
                                  help_text="Optional: what listens there.")
    event_types = forms.MultipleChoiceField(
        label="Events", choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple,
        help_text="Choose at least one.")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Use an http(s) URL.")
        if parts.scheme == "http" and not settings.DEBUG and settings.DJANGO_ENV == "production":
            raise forms.ValidationError("Use https: the events carry phone numbers.")
        if parts.username or parts.password:
            raise forms.ValidationError("Leave credentials out of the URL; verify the "
                                        "signature instead.")
        if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            try:
                webhook_client.check_destination(url)
            except webhook_client.BlockedDestination as error:
                reason = str(error)
                raise forms.ValidationError(reason[:1].upper() + reason[1:] + ".") from error
        return url
