"""The "floor" of bench/decisions.py: what a decision cannot avoid, and nothing else.

One read joining the same tables a decision reads (contact, consent, send history,
purchases, the pool with its arm counts, the policy version: the same statement) and one
durable insert of a row as wide as a stored decision, in a plain Django view: no API
framework, no eligibility, bandit, rendering or guard. Mounted only with DEBUG or
DELIVERY_BENCH_BARE_VIEW=1 (delivery/urls.py), like the bare view. Never in production.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from functools import cache

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from delivery import selectors
from delivery.services.decision_rows import _INSERT_DECISION


@cache
def _read_sql() -> str:
    contact = selectors._contact_sql(lock=False, suppressible=True, variant=False,
                                     queued=False)
    return selectors._DECISION_SQL.format(contact=contact)


@csrf_exempt
@require_POST
def bench_floor(request: HttpRequest) -> JsonResponse:
    phone = json.loads(request.body)["phone"]
    now = timezone.now()
    brand_id = int(request.GET["brand"])
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(), {
            "brand_id": brand_id, "phone": phone, "intent": "cart_abandonment",
            "stage": "active", "approved": "approved", "exclude_send": 0,
            "not_delivered": selectors.NOT_DELIVERED, "history_since": now - timedelta(days=7),
            "canceled": "canceled", "failed": "failed", "purchased": "purchased",
            "suppressed_since": now - timedelta(hours=24)})
        row = cursor.fetchone()
        arms = row[-2]
        arms = json.loads(arms) if isinstance(arms, str) else arms
        decision_id = uuid.uuid4()
        cursor.execute(_INSERT_DECISION.format(links="", arms=""), {
            "id": decision_id, "brand_id": brand_id, "contact_id": row[0], "phone": phone,
            "intent": "cart_abandonment", "stage": "active", "variant_id": None,
            "text": arms[0][1], "encoding": "GSM-7", "segments": 1, "status": "deny",
            "reason": "FLOOR", "detail": "bench floor row", "send_at": None,
            "propensities": json.dumps({str(a[0]): 1 / len(arms) for a in arms}),
            "merge": json.dumps({"first_name": "Sam", "link": "https://acme.co/cart/123"}),
            "guard_findings": "[]", "policy_version": row[-1], "idempotency_key": "",
            "request_fingerprint": "0" * 64, "created_at": now})
    return JsonResponse({"decision_id": str(decision_id)})
