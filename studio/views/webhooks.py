"""Webhooks: a brand manager's signed endpoints and the log of every delivery to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.services import webhooks
from studio.permissions import BrandAccess, get_brand_access
from studio.views.common import page_context
from studio.webhook_forms import WebhookEndpointForm

LOG_PAGE_SIZE = 50
STATUS_FILTERS = ("pending", "delivered", "failed")
# A new or rolled secret waits here for the one page view that shows it. The secret is
# stored in the clear on its endpoint anyway (signing needs it), so holding it in the
# server-side session for one redirect exposes nothing new, and a reload can neither
# create a second endpoint nor show the secret again.
SHOW_ONCE = "webhook_secret_to_show"


def _page(request, access: BrandAccess, *, form=None, status: int = 200):
    chosen = request.GET.get("status", "")
    endpoints = WebhookEndpoint.objects.filter(brand=access.brand)
    shown = request.session.pop(SHOW_ONCE, None) if request.method == "GET" else None
    secret_for = endpoints.filter(pk=shown["endpoint"]).first() if shown else None
    log = WebhookDelivery.objects.filter(brand=access.brand).select_related("endpoint")
    if chosen in STATUS_FILTERS:
        log = log.filter(status=chosen)
    response = render(request, "studio/webhooks.html", page_context(
        access, "webhooks", form=form or WebhookEndpointForm(),
        endpoints=endpoints,
        page=Paginator(log, LOG_PAGE_SIZE).get_page(request.GET.get("page")),
        chosen=chosen, filters=STATUS_FILTERS, secret_for=secret_for,
        secret=shown["secret"] if shown and secret_for else None), status=status)
    if secret_for:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def webhooks_page(request, slug: str):
    return _page(request, get_brand_access(request.user, slug, "manage_webhooks"))


@login_required
@require_POST
def create_webhook(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_webhooks")
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, access, form=form)
    endpoint, secret = webhooks.create_webhook_endpoint(
        access.brand, url=form.cleaned_data["url"], by=request.user,
        description=form.cleaned_data["description"],
        event_types=form.cleaned_data["event_types"])
    return _show_secret_once(request, slug, endpoint, secret)


def _show_secret_once(request, slug: str, endpoint: WebhookEndpoint, secret: str):
    request.session[SHOW_ONCE] = {"endpoint": endpoint.pk, "secret": secret}
    return redirect("studio:webhooks", slug=slug)


@login_required
@require_POST
def change_webhook(request, slug: str, pk: int, action: str):
    access = get_brand_access(request.user, slug, "manage_webhooks")
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, brand=access.brand)
    if action == "roll-secret":
        return _show_secret_once(request, slug, endpoint,
                                 webhooks.roll_webhook_secret(endpoint))
    if action in ("enable", "disable"):
        webhooks.set_webhook_endpoint_active(endpoint, active=action == "enable")
        messages.success(request, f"{endpoint.url} {action}d.")
    elif action == "delete":
        webhooks.delete_webhook_endpoint(endpoint)
        messages.success(request, f"{endpoint.url} deleted with its delivery log.")
    else:
        raise Http404("No such action")
    return redirect("studio:webhooks", slug=slug)


@login_required
@require_POST
def retry_webhook(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_webhooks")
    delivery = get_object_or_404(WebhookDelivery, pk=pk, brand=access.brand)
    if webhooks.retry_webhook_now(delivery):
        messages.success(request, f"{delivery.event_type} {delivery.event_id} is being sent "
                                  "again now.")
    else:
        messages.error(request, "That delivery was already acknowledged or is being sent.")
    back = reverse("studio:webhooks", args=[slug])
    return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)
