"""Display helpers for audit values stored as machine words."""

from django import template

from copygen.models import Variant

register = template.Library()

_STATUS_LABELS = dict(Variant.Status.choices)


@register.filter
def action_label(action: str) -> str:
    """"sent_back" → "Sent back"."""
    return action.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    return _STATUS_LABELS.get(status, status.replace("_", " "))
