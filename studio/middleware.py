"""Request hygiene that every route needs before any view runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse

# A JSON "\u0000" escape not itself escaped ("\\u0000" is a backslash and text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulBytesMiddleware:
    """A NUL anywhere in the path, query, cookies, form fields or body is a 4xx: 400, or
    for a JSON body under /api/ the API's typed 422 naming the field.

    PostgreSQL refuses NUL in text columns, so such input would otherwise surface as a 500
    from whichever query first met it (a short-link lookup, a login, a search box). No
    honest client sends one; refusing it here keeps every route's answer a clear 4xx.
    Uploaded file contents are left alone (a PDF has NUL bytes); their names are not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in(request)
        if where is not None:
            return _refuse(request, where)
        return self.get_response(request)


def _has_nul(pairs) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in pairs)


def _nul_in(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    if "\x00" in request.META.get("QUERY_STRING", "") or _has_nul(request.GET.lists()):
        return "query"
    if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
        return "cookie"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    try:
        if content_type.startswith(_FORM_TYPES):
            if _has_nul(request.POST.lists()) or any(
                    "\x00" in (f.name or "") for f in request.FILES.values()
                    if isinstance(f, UploadedFile)):
                return "form"
        elif b"\x00" in request.body or _JSON_NUL.search(request.body):
            return "body"
    except RequestDataTooBig:
        return None  # the view answers an oversized body in its own words
    return None


def _nul_field(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in a parsed JSON document the first NUL sits, as a field path."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key.replace("\x00", "\\0"))
        found = _nul_field(item, (*path, str(key)))
        if found is not None:
            return found
    return None


def _refuse(request: HttpRequest, where: str) -> HttpResponse:
    message = f"NUL bytes are not allowed (found in the {where})"
    if request.path.startswith("/api/"):
        if where == "body" and (request.content_type or "").endswith("json"):
            # The API's own answer to bad input: 422, naming the field, as its schemas do.
            try:
                field = _nul_field(json.loads(request.body))
            except ValueError:
                field = None
            if field is not None:
                return JsonResponse({"error": {
                    "code": "validation_error", "message": "must not contain NUL characters",
                    "field": ".".join(field) or None}}, status=422)
        return JsonResponse({"error": {"code": "malformed_request", "message": message,
                                       "field": None}}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
