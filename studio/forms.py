"""Forms for the review studio. Guardrails live in studio/guardrail_forms.py."""

from __future__ import annotations

from django import forms

from copygen.models import GuidelineDocument, Variant
from copygen.taxonomy import Intent, OfferKind, Stage
from delivery.models import OutboxMessage


def _blank(choices, label="Any"):
    return [("", label), *choices]


class GenerateForm(forms.Form):
    intent = forms.ChoiceField(choices=Intent.choices)
    stage = forms.ChoiceField(choices=Stage.choices, label="Lifecycle stage")
    audience_notes = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who these people are and what they looked at, in a sentence or two.")
    offer_kind = forms.ChoiceField(choices=OfferKind.choices, label="Offer",
                                   initial=OfferKind.NONE)
    offer_percent = forms.IntegerField(required=False, min_value=1, max_value=90,
                                       label="Percent off",
                                       help_text="Only for a percent-off offer.")
    n = forms.IntegerField(min_value=1, max_value=20, initial=5, label="How many variants")

    def clean(self):
        data = super().clean()
        if data.get("offer_kind") == OfferKind.PERCENT_OFF and not data.get("offer_percent"):
            self.add_error("offer_percent", "Give the percentage for a percent-off offer.")
        return data


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": "Words in the text or #id"}))
    intent = forms.ChoiceField(choices=_blank(Intent.choices), required=False)
    stage = forms.ChoiceField(choices=_blank(Stage.choices), required=False)
    status = forms.ChoiceField(choices=_blank(Variant.Status.choices), required=False)
    author: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Anyone")
    sort = forms.ChoiceField(required=False, label="Sort", choices=[
        ("newest", "Newest first"), ("segments", "Most segments"),
        ("findings", "Most findings")])
    request = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].queryset = members


class TextForm(forms.Form):
    text = forms.CharField(max_length=1600, strip=False,
                           widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "true"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Give a reason: the writer sees it "
                                                         "on the card."})


class BulkDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approved", "Approve"), ("rejected", "Reject"),
                                          ("changes_requested", "Request changes")])
    reason = forms.CharField(required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") in ("rejected", "changes_requested") and not (
                data.get("reason") or "").strip():
            self.add_error("reason", "Give a reason: it goes on every selected card.")
        return data


class CommentForm(forms.Form):
    body = forms.CharField(max_length=2000, label="Comment",
                           widget=forms.Textarea(attrs={"rows": 2}))


class GuidelineUploadForm(forms.Form):
    file = forms.FileField(required=False, help_text=".md, .txt or .pdf")
    content = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}),
                              label="…or paste the text")
    source_name = forms.CharField(
        required=False, max_length=255, label="Document name",
        help_text="Same name as a stored document replaces it (a new version).")
    title = forms.CharField(required=False, max_length=200)
    kind = forms.ChoiceField(choices=_blank(GuidelineDocument.Kind.choices, "Guess from name"),
                             required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if not upload and not (data.get("content") or "").strip():
            raise forms.ValidationError("Choose a file or paste the text.")
        if not upload and not data.get("source_name"):
            self.add_error("source_name", "Name the pasted document, e.g. voice.md.")
        return data


class RetrievalForm(forms.Form):
    q = forms.CharField(max_length=300, label="Query")


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Anyone")
    date_from = forms.DateField(required=False, label="From",
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To",
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = members
        self.fields["action"].choices = _blank([(a, a.replace("_", " ")) for a in actions])


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=_blank(OutboxMessage.Kind.choices, "All"), required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use this key?",
                           help_text="For example “Klaviyo cart flow” or “Shopify app”, so you "
                                     "know which key to revoke later.")
    # One token per rendered form: a reload of the answer (which re-posts) makes no second key.
    once = forms.CharField(widget=forms.HiddenInput, max_length=64)
