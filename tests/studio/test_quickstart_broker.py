"""The quickstart's filesystem broker polls often and takes runs of messages: with kombu's
defaults (1 s sleep whenever the prefetch window is full) the worker drained 2 texts/s."""

from __future__ import annotations

from django.conf import settings


def test_the_filesystem_broker_polls_often_and_prefetches_a_run():
    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] <= 0.1
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER >= 8
