"""The delivery app's own exceptions. Each carries a stable code, the input field at fault
(None when it is not one field) and the HTTP status the API answers with."""

from __future__ import annotations


class DeliveryError(Exception):
    code = "delivery_error"
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidPhoneNumber(DeliveryError):
    code = "invalid_phone"


class MissingMergeField(DeliveryError):
    code = "missing_merge_field"


class InvalidMergeValue(DeliveryError):
    code = "invalid_merge_value"


class UnknownDecision(DeliveryError):
    code = "unknown_decision"


class InvalidEvent(DeliveryError):
    code = "invalid_event"


class IdempotencyConflict(DeliveryError):
    """The key was used before with a different request: replaying it must not silently
    answer a question nobody asked."""

    code = "idempotency_conflict"
    status = 409


class ConsentProofMissing(DeliveryError):
    """TCPA: a grant must carry the disclosure shown (or its version and hash) or the id of
    the keyword message that gave it."""

    code = "consent_proof_missing"


class RateLimited(DeliveryError):
    """The API key has spent its requests for now (delivery.services.ratelimits)."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, limit: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.limit = limit
class ConsentProofMismatch(DeliveryError):
    """The hash given does not match the consent text given: the proof contradicts itself."""

    code = "consent_proof_mismatch"


class ContactNotFound(DeliveryError):
    code = "contact_not_found"
    status = 404


class ContactErased(DeliveryError):
    """The person asked to be erased: their number stays suppressed, nothing re-adds them."""

    code = "contact_erased"
    status = 409


class ConfirmationBlocked(DeliveryError):
    """The brand's double opt-in confirmation text fails its own compliance checks."""

    code = "confirmation_blocked"
class DecisionRequired(DeliveryError):
    """`sent`, `delivered` and `failed` report a flow's own send of one decision's text."""

    code = "decision_required"


class DecisionNotSendable(DeliveryError):
    """A denied decision was never to be sent: reporting it sent teaches the bandit nothing
    and usually means the flow ignored the verdict."""

    code = "decision_not_sendable"
    status = 409


class SentByStudio(DeliveryError):
    code = "sent_by_studio"
    status = 409


class DecisionNotFound(DeliveryError):
    code = "not_found"
    status = 404
