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
from studio.permissions import ActionDenied, BrandAccess, brands_for, get_brand_access, roles_for
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


# What each role is here for, for the 403 page's "what you can do instead".
ROLE_CAN = {
    Role.COPYWRITER: "generate variants, edit them and submit them for review",
    Role.APPROVER: "approve, reject or send back the variants in review that you did not write",
    Role.BRAND_MANAGER: "set the guardrails, upload guidelines and manage API keys",
}


def _access_from_url(request) -> BrandAccess | None:
    """The brand of the page that refused, if the user belongs to it: the 403 page keeps
    that brand's navigation."""
    slug = getattr(request.resolver_match, "kwargs", {}).get("slug")
    if not slug or not request.user.is_authenticated:
        return None
    from brandguard.models import Brand

    brand = Brand.objects.filter(slug=slug).first()
    roles = roles_for(request.user, brand) if brand else frozenset()
    return BrandAccess(brand=brand, roles=roles) if brand and roles else None


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """403 in plain words: what was refused, who may do it, and what this person can do."""
    access = exception.access if isinstance(exception, ActionDenied) else _access_from_url(
        request)
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    context: dict = {"message": message}
    if access is not None:
        context |= page_context(access, "", role_labels=sorted(Role(r).label for r in access.roles),
                                can=[ROLE_CAN[Role(r)] for r in sorted(access.roles)])
    return render(request, "403.html", context, status=403)
