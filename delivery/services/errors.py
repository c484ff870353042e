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
