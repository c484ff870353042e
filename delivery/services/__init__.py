"""Every write in the delivery app goes through these functions."""

from delivery.services.apikeys import create_api_key, revoke_api_key
from delivery.services.behaviour import BehaviourReport, record_behaviour_events
from delivery.services.contacts import (
    opt_in_contact,
    opt_out_contact,
    record_consent,
    register_contact,
)
from delivery.services.decisions import DecisionRequest, check_eligibility, decide
from delivery.services.errors import (
    ConsentProofMissing,
    DecisionNotFound,
    DecisionNotSendable,
    DecisionRequired,
    DeliveryError,
    IdempotencyConflict,
    InvalidMergeValue,
    InvalidPhoneNumber,
    MissingMergeField,
    SentByStudio,
    UnknownDecision,
)
from delivery.services.events import EventReport, EventResult, record_event, record_events
from delivery.services.inbound import handle_inbound
from delivery.services.rewards import (
    count_trial,
    penalize_recent_send,
    record_click,
    reward_decision,
)
from delivery.services.sending import Outcome, deliver, schedule_send, sweep_stalled_sends
from delivery.services.settings import save_delivery_settings
from delivery.services.status import record_status_callback

__all__ = [
    "BehaviourReport",
    "ConsentProofMissing",
    "DecisionNotFound",
    "DecisionNotSendable",
    "DecisionRequired",
    "DecisionRequest",
    "DeliveryError",
    "EventReport",
    "EventResult",
    "IdempotencyConflict",
    "InvalidMergeValue",
    "InvalidPhoneNumber",
    "MissingMergeField",
    "Outcome",
    "SentByStudio",
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
    "record_behaviour_events",
    "record_event",
    "record_events",
    "record_status_callback",
    "register_contact",
    "revoke_api_key",
    "reward_decision",
    "save_delivery_settings",
    "schedule_send",
    "sweep_stalled_sends",
]
