"""API keys (brand managers): create a key for an automated flow, shown once; revoke one.
Only the key's SHA-256 is stored (delivery.services.apikeys)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from delivery.models import ApiKey
from delivery.services import create_api_key, revoke_api_key
from studio.forms import ApiKeyForm
from studio.permissions import get_brand_access
from studio.views.common import page_context


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_api_keys")
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        # Rendered, not redirected: the plain key lives in this one response only.
        key, plain = create_api_key(access.brand, name=form.cleaned_data["name"])
        created = {"key": key, "plain": plain}
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(brand=access.brand).order_by("revoked_at", "-created_at")
    response = render(request, "studio/api_keys.html", page_context(
        access, "api_keys", form=form, created=created, keys=keys))
    if created:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_key(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_api_keys")
    key = get_object_or_404(ApiKey, pk=pk, brand=access.brand)
    was_active = key.active
    revoke_api_key(key)
    if was_active:
        messages.success(request, f"Revoked “{key.name}” ({key.prefix}…). Flows using it now "
                         "get 401 and must switch to another key.")
    return redirect("studio:api-keys", slug=slug)
