"""Display helpers for values stored as machine words: audit actions, statuses, rates,
phone numbers and delivery reason codes."""

from django import template

from copygen.models import Variant
from copygen.taxonomy import Intent, Stage
from studio import presenters

register = template.Library()

_STATUS_LABELS = dict(Variant.Status.choices)


@register.filter
def action_label(action: str) -> str:
    """"sent_back" → "Sent back"."""
    return action.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    return _STATUS_LABELS.get(status, status.replace("_", " "))


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """0.0412 → "4.1%"; None (nothing sent, so nothing measured) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def masked(phone: str) -> str:
    return presenters.mask_phone(phone or "")


@register.filter
def reason_label(code: str) -> str:
    return presenters.reason_label(code or "")


@register.filter
def points(value: float | None) -> str:
    """A difference of two rates in percentage points, signed: 0.0123 → "+1.23 pts"."""
    return "—" if value is None else f"{value * 100:+.2f} pts"


@register.filter
def signed_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.0f}%"


_INTENTS, _STAGES = dict(Intent.choices), dict(Stage.choices)


@register.filter
def intent_label(value: str) -> str:
    return _INTENTS.get(value, value)


@register.filter
def stage_label(value: str) -> str:
    return _STAGES.get(value, value)


@register.filter
def words(value) -> str:
    """A machine value as words: `fixed_line_or_mobile` -> "fixed line or mobile"."""
    return str(value).replace("_", " ").lower()


@register.filter
def person(user, fallback: str = "unknown") -> str:
    """Full name, else username, else ``fallback``. A filter rather than
    ``a.get_full_name|default:a.username``: Django raises on a filter ARGUMENT that does not
    resolve, so that idiom crashed the page for rows without a user (system events,
    variants written by hand)."""
    if user is None:
        return fallback
    return user.get_full_name() or user.username or fallback


@register.filter
def duration_minutes(value) -> str:
    """A timedelta as "15 minutes" (the login lockout page)."""
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
