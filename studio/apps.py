from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        from django.conf import settings

        from studio.celery import ensure_broker_folders

        # Producers (web, manage.py) publish into the same folders the worker reads.
        ensure_broker_folders(settings)
        if not settings.PRODUCTION:
            # WhiteNoise warns about a missing STATIC_ROOT even when it serves from finders.
            settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
