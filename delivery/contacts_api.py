"""The contacts API: bring people in with proof, read one person's story, push opt-outs in,
erase on request. Mounted by delivery/api.py at /api/v1/contacts; same key, same typed 4xx."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from pydantic import TypeAdapter, ValidationError

from brandguard.models import Brand
from delivery import audience_selectors, selectors
from delivery.contact_schemas import (
    ContactBatchIn,
    ContactBatchOut,
    ContactDetailOut,
    ContactIn,
    ContactOut,
    ErasedOut,
    OptOutIn,
    OptOutOut,
)
from delivery.models import ApiKey, Contact
from delivery.schemas import ErrorOut
from delivery.services import audience
from delivery.services.errors import ContactNotFound, DeliveryError

router = Router(tags=["contacts"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          429: ErrorOut}
KEPT_AFTER_ERASURE = [
    "the phone number, opted out and held, so it is never texted again",
    "the consent ledger with its proof (TCPA claims can be brought for 4 years)",
    "decisions and sends without merge values (the approved template text only)",
]
_contact_in = TypeAdapter(ContactIn)


def _brand(request: HttpRequest) -> Brand:
    key: ApiKey = request.auth  # type: ignore[attr-defined]  # set by BrandApiKey
    return key.brand


def _upsert(brand: Brand, payload: ContactIn) -> dict[str, Any]:
    consent = None
    if payload.consent is not None:
        c = payload.consent
        consent = audience.Proof(
            status=c.status, source=c.source, occurred_at=c.occurred_at or timezone.now(),
            consent_text=c.consent_text or "", text_version=c.text_version or "",
            text_sha256=(c.text_sha256 or "").lower(), source_detail=c.source_detail or "",
            ip=str(c.ip) if c.ip else None, user_agent=c.user_agent or "")
    result = audience.upsert_contact(
        brand, payload.phone, attributes=payload.attributes, consent=consent,
        double_opt_in=payload.double_opt_in, settings=selectors.request_settings(brand))
    return audience_selectors.contact_answer(result.contact)


def _contact(brand: Brand, phone: str) -> Contact:
    contact = audience_selectors.find_contact(brand, phone)
    if contact is None:
        raise ContactNotFound("no contact with this number at this brand", field="phone")
    return contact


@router.post("", response={200: ContactOut, **ERRORS},
             summary="Create or update one person, with their consent and its proof")
def upsert_contact(request: HttpRequest, payload: ContactIn):
    return Status(200, _upsert(_brand(request), payload))


@router.post("/batch", response={200: ContactBatchOut, **ERRORS},
             summary="Up to 1,000 contacts; one answer per item, in order")
def upsert_contacts(request: HttpRequest, payload: ContactBatchIn):
    brand, results = _brand(request), []
    for index, raw in enumerate(payload.contacts):
        try:
            item = _contact_in.validate_python(raw)
            with transaction.atomic():  # a refused item leaves nothing half-written
                answer = _upsert(brand, item)
            results.append({"index": index, "status": "accepted", "contact": answer,
                            "error": None})
        except ValidationError as exc:
            first = exc.errors()[0]
            results.append(_refused(index, "validation_error", first["msg"],
                                    ".".join(str(p) for p in first["loc"]) or None))
        except DeliveryError as exc:
            results.append(_refused(index, exc.code, exc.message, exc.field))
    accepted = sum(1 for r in results if r["status"] == "accepted")
    return Status(200, {"accepted": accepted, "refused": len(results) - accepted,
                        "results": results})


def _refused(index: int, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"index": index, "status": "refused", "contact": None,
            "error": {"code": code, "message": message, "field": field}}


@router.get("/{phone}", response={200: ContactDetailOut, **ERRORS},
            summary="One person: consent with its ledger, number facts, decisions, sends")
def get_contact(request: HttpRequest, phone: str):
    return Status(200, audience_selectors.contact_details(_contact(_brand(request), phone)))


@router.post("/{phone}/opt-out", response={200: OptOutOut, **ERRORS},
             summary="Record an opt-out heard on the brand's own channel")
def opt_out(request: HttpRequest, phone: str, payload: OptOutIn):
    done = audience.record_brand_opt_out(_brand(request), phone, source=payload.source,
                                         detail=payload.detail, at=payload.occurred_at)
    return Status(200, {**audience_selectors.contact_answer(done.contact),
                        "changed": done.changed, "canceled_sends": done.canceled_sends})


@router.delete("/{phone}", response={200: ErasedOut, **ERRORS},
               summary="Erase a person on request (the ledger and the suppression stay)")
def erase(request: HttpRequest, phone: str):
    erased = audience.erase_contact(_contact(_brand(request), phone), detail="(API)")
    return Status(200, {
        "phone": erased.contact.phone, "erased_at": erased.contact.erased_at,
        "decisions_redacted": erased.decisions, "sends_redacted": erased.sends,
        "events_deleted": erased.events, "canceled_sends": erased.canceled_sends,
        "kept": KEPT_AFTER_ERASURE})
