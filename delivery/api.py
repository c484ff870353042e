"""The decision API (django-ninja), mounted at /api/. OpenAPI at /api/openapi.json, docs at
/api/docs. Every bad input gets a typed 4xx: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from brandguard.models import Brand
from delivery import selectors, services
from delivery.models import ApiKey, Decision
from delivery.schemas import (
    DecisionBatchIn,
    DecisionBatchOut,
    DecisionIn,
    DecisionOut,
    ErrorOut,
)
from delivery.services.batch import BatchRequest, Recipient, decide_batch
from delivery.services.errors import RateLimited
from delivery.services.journeys import stage_for
from delivery.services.ratelimits import authenticate


class BrandApiKey(HttpBearer):
    """`Authorization: Bearer <key>`; the key names its brand. Revoked keys stop at once."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        found = authenticate(token)  # reads the key and takes a token in one round trip
        if found is None:
            return None
        verdict = found.verdict
        if not verdict.allowed:
            raise RateLimited(
                f"this API key may make {verdict.limit} requests a minute; "
                f"retry in {verdict.retry_after} s",
                retry_after=verdict.retry_after, limit=verdict.limit)
        return found.key


api = NinjaAPI(
    title="SMS Copy Studio delivery API", version="1.0.0", urls_namespace="delivery-api",
    auth=BrandApiKey(),
    description="Ask for the right approved text for one person now; report what they did.",
)
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut,
                                      429: ErrorOut}


def brand_of(request: HttpRequest) -> Brand:
    key: ApiKey = request.auth  # type: ignore[attr-defined]  # set by BrandApiKey
    return key.brand


def error_response(request: HttpRequest, status: int, code: str, message: str,
                   field: str | None = None) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    # loc is ("body", "<param>", field, ...): drop the transport and the parameter name.
    path = [str(part) for part in first.get("loc", ())[2:]]
    return error_response(request, 422, "validation_error", first.get("msg", "invalid input"),
                          ".".join(path) or None)


@api.exception_handler(AuthenticationError)
def on_unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", "a valid API key is required "
                          "(Authorization: Bearer <key>)")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "malformed_body" if exc.status_code == 400 else "http_error"
    return error_response(request, exc.status_code, code, exc.message)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 400, "malformed_body", "request body too large")


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error_response(request, 429, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    response["RateLimit-Limit"] = str(exc.limit)
    return response


@api.exception_handler(services.DeliveryError)
def on_delivery_error(request: HttpRequest, exc: services.DeliveryError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.field)


@api.post("/v1/decisions", response={200: DecisionOut, 409: ErrorOut, **ERRORS},
          summary="Decide whether, when and which approved text to send", tags=["decisions"])
def create_decision(request: HttpRequest, payload: DecisionIn):
    brand = brand_of(request)
    stage = payload.stage.value if payload.stage else stage_for(brand, payload.phone)
    decision = services.decide(brand, services.DecisionRequest(
        phone=payload.phone, intent=payload.intent.value, stage=stage,
        merge=payload.merge, send=payload.send, idempotency_key=payload.idempotency_key,
    ), settings=selectors.request_settings(brand))
    return api.create_response(request, decision_body(decision), status=200)


@api.post("/v1/decisions/batch", response={200: DecisionBatchOut, **ERRORS},
          summary="Decide for up to 1,000 people at once (one intent and stage)",
          tags=["decisions"])
def create_decision_batch(request: HttpRequest, payload: DecisionBatchIn):
    brand = brand_of(request)
    answers = decide_batch(brand, BatchRequest(
        intent=payload.intent.value, stage=payload.stage.value, send=payload.send,
        recipients=[Recipient(r.phone, r.merge, r.idempotency_key)
                    for r in payload.recipients],
    ), settings=selectors.request_settings(brand))
    return api.create_response(request, {"results": [batch_item(a) for a in answers]},
                               status=200)


# The decision views render their bodies directly: validating a body this module built
# against its own response schema (ninja's default) cost more than deciding, for 1,000
# batch items. The bodies are exactly what ninja renders from DecisionOut and
# DecisionBatchItemOut (every field, in order; tests/delivery/test_api_bodies.py).
_NO_DECISION = {"decision_id": None, "variant_id": None, "text": None, "encoding": None,
                "segments": None, "eligibility": None}


def decision_body(decision: Decision, *, batch: bool = False) -> dict:
    body = {
        "decision_id": decision.id, "variant_id": decision.variant_id,
        "text": decision.text or None, "encoding": decision.encoding or None,
        "segments": decision.segments,
        "eligibility": {"status": decision.status, "reason": decision.reason or None,
                        "send_at": decision.send_at},
    }
    if batch:
        body["error"] = None
    return body


def batch_item(answer: Decision | services.DeliveryError) -> dict:
    if isinstance(answer, Decision):
        return decision_body(answer, batch=True)
    return _NO_DECISION | {"error": {"code": answer.code, "message": answer.message,
                                     "field": answer.field}}


def _typed_405(view):
    # ninja answers a wrong method with a plain-text 405; keep every 4xx typed.
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        typed = JsonResponse({"error": {"code": "method_not_allowed", "field": None,
                                        "message": f"use {response['Allow']}"}}, status=405)
        typed["Allow"] = response["Allow"]
        return typed

    return wrapper


def api_urls():
    """`api.urls` for studio/urls.py, every operation view wrapped by _typed_405."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _typed_405(pattern.callback)
    return patterns, app_name, namespace


# Routers of their own, mounted last: they import ERRORS and brand_of from this module.
from delivery.events_api import router as events_router  # noqa: E402

api.add_router("/v1", events_router)

from delivery.contacts_api import router as contacts_router  # noqa: E402

api.add_router("/v1/contacts", contacts_router)
