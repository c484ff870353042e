"""Twilio webhooks and first-party short links. Thin: verify, call one service, answer."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from delivery import selectors, services
from delivery.link_previews import is_preview_fetch
from delivery.twilio_client import validate_signature

logger = logging.getLogger(__name__)

TOKEN_HEADER = "I-Twilio-Idempotency-Token"


def _signed(request: HttpRequest) -> bool:
    """X-Twilio-Signature over the public URL Twilio called (we may sit behind a proxy, so
    the URL is rebuilt from PUBLIC_BASE_URL, never from the Host header; docs/domain.md §6)."""
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return False  # nothing to verify with: refuse rather than trust
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return validate_signature(url, request.POST, request.headers.get("X-Twilio-Signature"),
                              token)


def _twiml(message: str | None) -> HttpResponse:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
                        content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("invalid Twilio signature")
    post = request.POST
    if not post.get("MessageSid") or not post.get("From"):
        return HttpResponseBadRequest("MessageSid and From are required")
    result = services.handle_inbound(
        sid=post["MessageSid"], from_phone=post["From"], to_phone=post.get("To", ""),
        body=post.get("Body", ""), messaging_service_sid=post.get("MessagingServiceSid", ""),
        token=request.headers.get(TOKEN_HEADER),
    )
    return _twiml(result.reply)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("invalid Twilio signature")
    post = request.POST
    error_code = post.get("ErrorCode", "")
    services.record_status_callback(
        sid=post.get("MessageSid", ""), status=post.get("MessageStatus", ""),
        error_code=int(error_code) if error_code.isdigit() else None,
        token=request.headers.get(TOKEN_HEADER), send_hint=request.GET.get("send"),
    )
    return _twiml(None)  # 200 even for an unknown SID, so Twilio stops retrying


@require_http_methods(["GET", "HEAD"])
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    link = selectors.short_link(code)
    if link is None:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    if not selectors.short_link_allowed(link):
        logger.warning("short link %s refused: %s is not a domain of brand %s",
                       code, link.destination[:200], link.brand_id)
        return HttpResponse("This link is blocked: it does not lead to the sender's own "
                            "website.", status=403, content_type="text/plain")
    if is_preview_fetch(request.method or "GET", request.headers.get("User-Agent")):
        # A messaging app drawing its preview card: redirect it, but it is not a click.
        return HttpResponseRedirect(link.destination)
    return HttpResponseRedirect(services.record_click(link))


@require_GET
def bench_bare(request: HttpRequest) -> JsonResponse:
    """The baseline for bench/decisions.py: Django's full stack, no database."""
    return JsonResponse({"ok": True})
