"""API keys (brand managers): create a key for an automated flow, shown once; revoke one.
Only the key's SHA-256 is stored (delivery.services.apikeys)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from delivery.models import ApiKey
from delivery.services import create_api_key, revoke_api_key
from studio.forms import ApiKeyForm
from studio.permissions import get_brand_access
from studio.views.common import page_context

FORM_TOKENS = "api_key_form_tokens"  # in the session: tokens of forms rendered, not yet used
ALREADY_SENT = ("This form was already sent, so no second key was made. The key was shown "
                "once, when it was created; if it is lost, create a new one and revoke the old.")


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_api_keys")
    created = None
    if request.method == "GET":
        form = ApiKeyForm(initial={"once": _new_form_token(request)})
    else:
        form = ApiKeyForm(request.POST)
        if form.is_valid() and _use_form_token(request, form.cleaned_data["once"]):
            # Rendered, not redirected: the plain key lives in this one response only.
            key, plain = create_api_key(access.brand, name=form.cleaned_data["name"])
            created = {"key": key, "plain": plain}
            form = ApiKeyForm(initial={"once": _new_form_token(request)})
        else:
            form = _again(request, already_sent=form.is_valid())
    keys = ApiKey.objects.filter(brand=access.brand).order_by("revoked_at", "-created_at")
    response = render(request, "studio/api_keys.html", page_context(
        access, "api_keys", form=form, created=created, keys=keys))
    if created:
        response["Cache-Control"] = "no-store"
    return response


def _again(request, *, already_sent: bool) -> ApiKeyForm:
    """The posted form back with its errors and a fresh token, so the next press works."""
    data = request.POST.copy()
    data["once"] = _new_form_token(request)
    form = ApiKeyForm(data)
    form.is_valid()
    if already_sent:
        form.add_error(None, ALREADY_SENT)
    return form


def _use_form_token(request, token: str) -> bool:
    tokens = request.session.get(FORM_TOKENS, [])
    if token not in tokens:
        return False
    request.session[FORM_TOKENS] = [t for t in tokens if t != token]
    return True


def _new_form_token(request) -> str:
    """A one-use token for a rendered form; the last ten stay valid, for a manager with the
    page open in several tabs."""
    token = secrets.token_urlsafe(16)
    request.session[FORM_TOKENS] = request.session.get(FORM_TOKENS, [])[-9:] + [token]
    return token


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
