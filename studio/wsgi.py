import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ImproperlyConfigured as exc:  # one clear line instead of a traceback per worker
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
