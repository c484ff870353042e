"""Every write in the delivery app goes through these functions."""

from delivery.services.apikeys import create_api_key, revoke_api_key
from delivery.services.contacts import (
    opt_in_contact,
    opt_out_contact,
    record_consent,
    register_contact,
)
from delivery.services.decisions import DecisionRequest, check_eligibility, decide
from delivery.services.errors import (
    ConsentProofMissing,
    DeliveryError,
    IdempotencyConflict,
    InvalidMergeValue,
    InvalidPhoneNumber,
    MissingMergeField,
    UnknownDecision,
)
from delivery.services.inbound import handle_inbound
from delivery.services.rewards import (
    count_trial,
    penalize_recent_send,
    record_click,
    record_event,
    reward_decision,
)
from delivery.services.sending import Outcome, deliver, schedule_send, sweep_stalled_sends
from delivery.services.settings import save_delivery_settings
from delivery.services.status import record_status_callback

__all__ = [
    "ConsentProofMissing",
    "DecisionRequest",
    "DeliveryError",
    "IdempotencyConflict",
    "InvalidMergeValue",
    "InvalidPhoneNumber",
    "MissingMergeField",
    "Outcome",
    "UnknownDecision",
    "check_eligibility",
    "count_trial",
    "create_api_key",
    "decide",
    "deliver",
    "handle_inbound",
    "opt_in_contact",
    "opt_out_contact",
    "penalize_recent_send",
    "record_click",
    "record_consent",
    "record_event",
    "record_status_callback",
    "register_contact",
    "revoke_api_key",
    "reward_decision",
    "save_delivery_settings",
    "schedule_send",
    "sweep_stalled_sends",
]
