"""Request and response bodies of the decision API (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BaseModel, StringConstraints

from copygen.taxonomy import Intent, Stage


def _storable(value: str) -> str:
    # PostgreSQL text holds neither NUL nor lone surrogates; refuse them as bad input (422)
    # instead of failing on the insert (500).
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _plausible(value: datetime | None) -> datetime | None:
    if value is not None and not datetime(2000, 1, 1, tzinfo=UTC) <= value <= datetime(
            2100, 1, 1, tzinfo=UTC):
        raise ValueError("must be between 2000 and 2100")
    return value


Text = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$"),
                 AfterValidator(_storable)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[!-~]+$")]
MergeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[^\x00]*$"),
                  AfterValidator(_storable)]


class DecisionIn(Schema):
    phone: Phone = Field(description="E.164, e.g. +14155550123", examples=["+12125550123"])
    intent: Intent
    stage: Stage | None = Field(
        None, description="Lifecycle stage of the copy; omitted: the person's stage from "
                          "their behaviour (purchases and their recency).")
    merge: dict[MergeName, Text] = Field(
        default_factory=dict, max_length=30,
        description="Values for the copy's {placeholders}; an http(s) URL becomes a "
                    "first-party short link.")
    send: bool = Field(False, description="Schedule the text when allowed or deferred.")
    idempotency_key: Token | None = Field(
        None, description="Retries with the same key get the same decision.")


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


# The batch body is plain pydantic: ninja's Schema runs a Python-level wrap validator per
# object (to read Django models through a getter), about 40 us per recipient; a request
# body is only ever JSON. Same fields, same constraints, same OpenAPI.
class BatchRecipient(BaseModel):
    phone: Phone = Field(examples=["+12125550123"])
    merge: dict[MergeName, Text] = Field(default_factory=dict, max_length=30)
    idempotency_key: Token | None = None


class DecisionBatchIn(BaseModel):
    intent: Intent
    stage: Stage
    send: bool = Field(False, description="Schedule every allowed or deferred text.")
    recipients: list[BatchRecipient] = Field(
        min_length=1, max_length=1000,
        description="Up to 1,000 people; the answers come back in the same order.")


class Eligibility(Schema):
    status: Literal["allow", "defer", "deny"]
    reason: str | None
    send_at: datetime | None


class DecisionOut(Schema):
    decision_id: UUID
    variant_id: int | None
    text: str | None
    encoding: str | None
    segments: int
    eligibility: Eligibility


class ErrorOut(Schema):
    error: ErrorDetail


EventType = Literal["clicked", "converted", "purchased", "sent", "delivered", "failed",
                    "opted_out", "subscribed", "product_viewed", "added_to_cart",
                    "checkout_started", "back_in_stock", "price_dropped"]


class DecisionBatchItemOut(Schema):
    """One recipient's answer: the decision, or `error` (the body a single call would have
    got, e.g. a malformed number, a missing merge field, a reused idempotency key)."""

    decision_id: UUID | None = None
    variant_id: int | None = None
    text: str | None = None
    encoding: str | None = None
    segments: int | None = None
    eligibility: Eligibility | None = None
    error: ErrorDetail | None = None


class DecisionBatchOut(Schema):
    results: list[DecisionBatchItemOut]


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$"),
                AfterValidator(_storable)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s\x00]+$")]


class ProductIn(Schema):
    id: Token
    name: Name
    category: Name | None = None
    price: float | None = Field(None, ge=0, le=10_000_000)
    url: Url | None = Field(None, description="Becomes a first-party short link in the text.")
    reorder_days: int | None = Field(
        None, ge=1, le=3650, description="How long one lasts: the replenishment journey's wait.")


class OrderItemIn(Schema):
    id: Token
    quantity: int = Field(1, ge=1, le=100_000)
    reorder_days: int | None = Field(None, ge=1, le=3650)


class OrderIn(Schema):
    id: Token
    value: float = Field(ge=0, le=100_000_000)
    items: list[OrderItemIn] = Field(default_factory=list, max_length=500)


class EventIn(Schema):
    event_id: Token = Field(examples=["order-1001"],
                            description="Your id for this event; a replay changes nothing.")
    phone: Phone | None = Field(None, examples=["+12125550123"],
                                description="Required without a decision_id.")
    type: EventType = Field(description=(
        "What happened: sent, delivered or failed (your own send of the decision's text; "
        "decision_id required), clicked, converted, purchased, opted_out, or a behaviour: "
        "subscribed, product_viewed, added_to_cart, checkout_started, back_in_stock, "
        "price_dropped."))
    decision_id: UUID | None = None
    occurred_at: Annotated[AwareDatetime | None, AfterValidator(_plausible)] = Field(
        None, description="When it happened (default: now). Late events are placed at their "
                          "time.")
    product: ProductIn | None = Field(
        None, description="Required for product_viewed, back_in_stock and price_dropped.")
    order: OrderIn | None = Field(None, description="What was bought (purchased).")
    cart_url: Url | None = Field(None, description="Link back to the cart (added_to_cart, "
                                                   "checkout_started).")

    def data(self) -> dict:
        """The behaviour payload as stored on the event."""
        return self.model_dump(include={"product", "order", "cart_url"}, exclude_none=True)


class EventAccepted(Schema):
    event_id: str
    duplicate: bool


class EventBatchIn(Schema):
    events: list[Any] = Field(
        min_length=1, max_length=1000,
        description="Up to 1,000 events, each shaped like the body of POST /api/v1/events. "
                    "Each is checked on its own: a bad one gets its own error.")


class EventItemOut(Schema):
    index: int
    event_id: str | None
    status: Literal["accepted", "duplicate", "error"]
    error: ErrorDetail | None = None


class EventBatchOut(Schema):
    accepted: int
    duplicates: int
    errors: int
    results: list[EventItemOut]


class SendStateOut(Schema):
    by: Literal["studio", "flow"] = Field(description=(
        "studio: the studio sends it (send: true); flow: you pulled the copy and report "
        "its send with events."))
    status: Literal["pending", "deferred", "sent", "delivered", "undelivered", "failed",
                    "canceled"]
    send_at: datetime | None
    sent_at: datetime | None
    reason: str | None = Field(description="Why it was canceled: a stable code.")
    detail: str | None
    error_code: int | None = Field(description="The provider's error code, if any.")


class EventOut(Schema):
    event_id: str
    type: EventType
    occurred_at: datetime
    received_at: datetime


class DecisionReadOut(DecisionOut):
    created_at: datetime
    phone: str
    intent: Intent
    stage: Stage
    send: SendStateOut | None = Field(description="None for a denied decision.")
    events: list[EventOut]
