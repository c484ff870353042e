from celery import shared_task


@shared_task(name="studio.ping")
def ping(value: str) -> str:
    """Round trip for `manage.py check_worker` and the broker tests."""
    return f"pong:{value}"
