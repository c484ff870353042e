"""The Celery app. Broker and backend come from settings (Redis in production, the
filesystem transport in the quickstart); periodic schedules live here."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule_periodic_tasks(sender, **_kwargs) -> None:
    from django.conf import settings

    # Safety net for sends whose task was lost (a broker restart, a worker killed between
    # claim and enqueue): re-enqueues them; deliver() stays exactly-once.
    sender.add_periodic_task(
        float(settings.SWEEP_STALLED_SENDS_SECONDS), sender.signature("delivery.sweep_stalled_sends"),
        name="sweep stalled sends",
    )
    # The webhook outbox: re-enqueues deliveries that are due (a retry whose task was lost).
    sender.add_periodic_task(
        float(settings.SWEEP_WEBHOOKS_SECONDS), sender.signature("delivery.sweep_webhooks"),
        name="sweep due webhooks",
    )
    # Journey steps wait in the database; each tick fires the due ones (SKIP LOCKED), so a
    # restart loses nothing and two workers never fire one step.
    sender.add_periodic_task(
        float(settings.JOURNEY_TICK_SECONDS), sender.signature("delivery.fire_due_journey_steps"),
        name="fire due journey steps",
    )


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task=None, **_kwargs) -> None:
    """What Django does around each request: drop a connection past CONN_MAX_AGE, one left in
    a broken state, or (at its next use) one the server has closed. The connection otherwise
    lives on across tasks (CELERY_DB_REUSE_MAX keeps Celery's fixup from closing it). An
    eager task runs inside its caller, perhaps in its transaction: left alone, as the fixup
    leaves it."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _prepare_broker_folders(**_kwargs) -> None:
    from django.conf import settings

    ensure_broker_folders(settings)


def ensure_broker_folders(settings) -> None:
    """The filesystem transport needs its folders before the first publish or poll."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)
    if settings.CELERY_RESULT_BACKEND.startswith("file://"):
        Path(settings.CELERY_RESULT_BACKEND[len("file://"):]).mkdir(parents=True, exist_ok=True)
