"""Celery tasks: take ids, call one service. The service is idempotent, so a redelivered
task (acks_late, a lost worker, a Redis visibility timeout on a long ETA) does nothing."""

from __future__ import annotations

from celery import shared_task

from delivery.services.double_opt_in import MAX_ATTEMPTS as CONFIRM_ATTEMPTS
from delivery.services.double_opt_in import send_confirmation
from delivery.services.journeys import fire_due_steps
from delivery.services.sending import MAX_ATTEMPTS, deliver, sweep_stalled_sends
from delivery.services.webhooks import deliver_webhook, sweep_due_webhooks


# ignore_result: the Send row is the record; nothing reads a result, and storing one costs
# a write to the result backend per text (a file per task on the quickstart's backend).
@shared_task(bind=True, name="delivery.deliver_send", acks_late=True,
             max_retries=MAX_ATTEMPTS + 3, ignore_result=True)
def deliver_send(self, send_id: int) -> str:
    outcome = deliver(send_id)
    if outcome.retry_in is not None:
        # Only transient provider errors get here; the service counts attempts and turns
        # the last one into a permanent failure, max_retries is a backstop.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="delivery.sweep_stalled_sends", acks_late=True)
def sweep_stalled_sends_task() -> int:
    """Periodic safety net; add it to the beat schedule in studio/celery.py."""
    return len(sweep_stalled_sends())


@shared_task(bind=True, name="delivery.send_consent_confirmation", acks_late=True,
             max_retries=CONFIRM_ATTEMPTS + 3)
def send_consent_confirmation(self, request_id: int) -> str:
    """The double opt-in confirmation text: claimed once, sent once (the service decides)."""
    outcome, retry_in = send_confirmation(request_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)
    return outcome


@shared_task(name="delivery.run_contact_import", acks_late=True)
def run_contact_import(import_id: int) -> str:
    """A studio upload: the import is idempotent, so a redelivery changes nothing twice."""
    from delivery.services.imports import run_import

    return run_import(import_id).status


@shared_task(bind=True, name="delivery.deliver_webhook", acks_late=True, max_retries=None)
def deliver_webhook_task(self, delivery_id: int) -> str:
    outcome = deliver_webhook(delivery_id)
    if outcome.retry_in is not None:
        # The row holds the next attempt's time too: if this retry is lost, the sweep
        # re-enqueues it; the service caps the attempts.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="delivery.sweep_webhooks", acks_late=True)
def sweep_webhooks_task() -> int:
    return len(sweep_due_webhooks())


@shared_task(name="delivery.fire_due_journey_steps", acks_late=True, ignore_result=True)
def fire_due_journey_steps_task() -> int:
    """Beat-driven (studio/celery.py): fire the journey steps now due. Steps are claimed
    with SKIP LOCKED inside the service, so overlapping ticks and workers share the work."""
    return fire_due_steps()
