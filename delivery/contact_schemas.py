"""Request and response bodies of the contacts API (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, IPvAnyAddress, StringConstraints

from delivery.schemas import ErrorDetail, MergeName, Phone, Text, _plausible, _storable

LongText = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_storable)]
Version = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[!-~ ]+$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]


def _not_future(value: datetime | None) -> datetime | None:
    # Clocks drift; a consent "given" tomorrow proves nothing today.
    if value is not None and value > datetime.now(UTC) + timedelta(minutes=5):
        raise ValueError("must not be in the future")
    return value


When = Annotated[AwareDatetime | None, AfterValidator(_plausible), AfterValidator(_not_future)]


class ConsentIn(Schema):
    status: Literal["granted", "revoked"]
    source: Literal["web_form", "import", "api", "keyword"]
    consent_text: LongText | None = Field(
        None, description="The exact disclosure the person agreed to (TCPA proof).")
    text_version: Version | None = Field(None, description="Or: the version of the wording…")
    text_sha256: Sha256 | None = Field(None, description="…and the SHA-256 of its text.")
    occurred_at: When = Field(None, description="When the person consented (default: now). "
                                                "The ledger orders events by this time.")
    source_detail: Text | None = Field(None, description="The form's URL, the keyword…")
    ip: IPvAnyAddress | None = None
    user_agent: Text | None = None


class ContactIn(Schema):
    phone: Phone = Field(description="Any format; stored as E.164.", examples=["+14155550123"])
    attributes: dict[MergeName, Text] = Field(default_factory=dict, max_length=50,
                                              examples=[{"first_name": "Sam"}])
    consent: ConsentIn | None = None
    double_opt_in: bool | None = Field(
        None, description="Ask the person to reply Y before a web-form grant counts "
                          "(default: the brand's setting).")


class ConsentOut(Schema):
    state: Literal["granted", "pending", "revoked", "opted_out", "none"]
    since: datetime | None
    source: str | None


class ContactOut(Schema):
    phone: str
    consent: ConsentOut
    held_for_review: bool
    reason: str | None


class ContactBatchIn(Schema):
    contacts: list[dict[str, Any]] = Field(
        min_length=1, max_length=1000,
        description="Up to 1,000 objects shaped like POST /api/v1/contacts; each is "
                    "validated and stored on its own.")


class BatchItemOut(Schema):
    index: int
    status: Literal["accepted", "refused"]
    contact: ContactOut | None
    error: ErrorDetail | None


class ContactBatchOut(Schema):
    accepted: int
    refused: int
    results: list[BatchItemOut]


class LedgerEntry(Schema):
    kind: str
    source: str
    occurred_at: datetime
    recorded_at: datetime
    consent_text: str | None
    text_version: str | None
    text_sha256: str | None
    source_detail: str | None
    ip: str | None
    user_agent: str | None
    inbound_message_sid: str | None


class NumberFacts(Schema):
    valid: bool
    type: str
    region: str | None
    time_zones: list[str]
    state: str | None
    geographic: bool
    flags: list[str]


class DecisionSummary(Schema):
    decision_id: UUID
    created_at: datetime
    intent: str
    stage: str
    status: str
    reason: str | None
    variant_id: int | None
    text: str | None
    send_at: datetime | None


class SendSummary(Schema):
    send_id: int
    decision_id: UUID
    status: str
    scheduled_for: datetime
    sent_at: datetime | None
    body: str
    error_code: int | None
    error_message: str | None


class DoubleOptInOut(Schema):
    status: str
    requested_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None
    text_status: str


class ContactDetailOut(ContactOut):
    attributes: dict[str, Any]
    opted_out: bool
    opted_out_at: datetime | None
    erased_at: datetime | None
    created_at: datetime
    double_opt_in: DoubleOptInOut | None
    ledger: list[LedgerEntry]
    number: NumberFacts
    decisions: list[DecisionSummary]
    sends: list[SendSummary]


class OptOutIn(Schema):
    source: Literal["support", "api", "web_form", "import"] = Field(
        "support", description="Where the brand heard it: support (e-mail, phone, another "
                               "SMS tool), api, web_form or import.")
    detail: Text = Field("", description="What was said and where, kept in the ledger.")
    occurred_at: When = None


class OptOutOut(ContactOut):
    changed: bool
    canceled_sends: int


class ErasedOut(Schema):
    phone: str
    erased_at: datetime
    decisions_redacted: int
    sends_redacted: int
    events_deleted: int
    canceled_sends: int
    kept: list[str]
