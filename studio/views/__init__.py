"""Studio views, one module per page; ``studio.views.<name>`` keeps working for URLs."""

from studio.views.audit import audit, audit_csv, variant_detail
from studio.views.delivery import outbox, performance
from studio.views.edit import check, edit, fix
from studio.views.generate import generate, generation
from studio.views.guardrails import guardrails, test_guardrails
from studio.views.guidelines import guidelines
from studio.views.journeys import edit_journey, journeys
from studio.views.pages import brand_home, healthz, home, root
from studio.views.queue import (
    approve,
    bulk_approve,
    comment,
    queue,
    reject,
    request_changes,
    retire,
    submit,
)

__all__ = [
    "approve", "audit", "audit_csv", "brand_home", "bulk_approve", "check", "comment", "edit",
    "edit_journey", "fix", "generate", "generation", "guardrails", "guidelines", "healthz", "home", "journeys", "outbox",
    "performance", "queue", "reject", "request_changes", "retire", "root", "submit",
    "test_guardrails", "variant_detail",
]
