"""Studio views, one module per page; ``studio.views.<name>`` keeps working for URLs."""

from studio.views.apikeys import api_keys, revoke_key
from studio.views.audience import (
    contact,
    contact_erase,
    contact_export,
    contact_import,
    contact_import_detail,
    contact_import_report,
    contact_opt_out,
    contacts,
)
from studio.views.audit import audit, audit_csv, variant_detail
from studio.views.delivery import outbox, performance
from studio.views.delivery_settings import delivery_settings_page
from studio.views.edit import check, edit, fix
from studio.views.generate import generate, generation
from studio.views.guardrails import guardrails, guardrails_impact, test_guardrails
from studio.views.guidelines import guidelines
from studio.views.journeys import edit_journey, edit_send_time, journeys
from studio.views.pages import brand_home, favicon, healthz, home, root
from studio.views.queue import (
    approve,
    bulk_approve,
    bulk_decide,
    comment,
    queue,
    reject,
    request_changes,
    retire,
    submit,
)
from studio.views.webhooks import change_webhook, create_webhook, retry_webhook, webhooks_page

__all__ = [
    "api_keys", "approve", "audit", "audit_csv", "brand_home", "bulk_approve", "bulk_decide",
    "change_webhook", "check", "comment", "contact", "contact_erase", "contact_export",
    "contact_import", "contact_import_detail", "contact_import_report", "contact_opt_out",
    "contacts", "create_webhook", "delivery_settings_page", "edit", "edit_journey",
    "edit_send_time", "favicon", "fix", "generate", "generation", "guardrails",
    "guardrails_impact", "guidelines", "healthz", "home", "journeys", "outbox", "performance",
    "queue", "reject", "request_changes", "retire",
    "retry_webhook", "revoke_key", "root", "submit", "test_guardrails", "variant_detail",
    "webhooks_page",
]
