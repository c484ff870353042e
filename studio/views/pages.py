"""The shell: root, health, the brand list and brand home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from copygen.models import VariantEvent
from studio.models import Role
from studio.permissions import brands_for, get_brand_access
from studio.selectors import coverage, status_counts
from studio.views.common import page_context


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    return redirect("studio:home")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the static file
    (fingerprinted and cached for a year in production) instead of a 404."""
    return HttpResponsePermanentRedirect(static("studio/favicon.ico"))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return JsonResponse({"ok": True, "pgvector": row[0] if row else None})


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    brands = list(brands_for(request.user))
    if len(brands) == 1:
        return redirect("studio:brand-home", slug=brands[0].slug)
    return render(request, "studio/home.html", {"brands": brands})


@login_required
@require_GET
def brand_home(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_brand_access(request.user, slug, "view")
    roles = sorted(Role(role).label for role in access.roles)
    stages, rows = coverage(access.brand)
    events = (VariantEvent.objects.filter(brand=access.brand)
              .select_related("actor", "variant")[:12])
    return render(request, "studio/brand_home.html", page_context(
        access, "home", role_labels=roles, counts=status_counts(access.brand),
        stages=stages, coverage_rows=rows, events=events))
