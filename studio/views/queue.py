"""The review queue and the decisions taken on it (submit, approve, reject, request
changes, comment, retire, bulk approve). Each decision is one POST that works without JS
(redirect back) and, from htmx, answers with the re-rendered card."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from copygen.models import Variant
from studio import services
from studio.forms import CommentForm, QueueFilterForm, ReasonForm
from studio.permissions import get_brand_access
from studio.selectors import brand_members, queue_variants
from studio.views.common import build_cards, get_variant, page_context, safe_next


def _queue_context(request, access) -> dict:
    form = QueueFilterForm(request.GET or None, members=brand_members(access.brand))
    data = form.cleaned_data if form.is_valid() else {}
    variants = queue_variants(access.brand, intent=data.get("intent", ""),
                              stage=data.get("stage", ""), status=data.get("status", ""),
                              author=data.get("author"), request_id=data.get("request"))
    page = Paginator(variants, 20).get_page(request.GET.get("page"))
    return page_context(access, "queue", filter_form=form, page=page,
                        cards=build_cards(page.object_list, access, request.user),
                        here=request.get_full_path())


@login_required
@require_GET
def queue(request, slug: str):
    access = get_brand_access(request.user, slug, "view")
    template = "studio/queue.html#queue-results" if request.htmx else "studio/queue.html"
    return render(request, template, _queue_context(request, access))


@login_required
@require_POST
def bulk_approve(request, slug: str):
    access = get_brand_access(request.user, slug, "approve")
    ids = [int(i) for i in request.POST.getlist("variant") if i.isdigit()]
    chosen = Variant.objects.filter(brand=access.brand, pk__in=ids).order_by("pk")
    result = services.bulk_approve(chosen, by=request.user)
    if request.htmx:
        context = _queue_context(request, access) | {"bulk": result}
        return render(request, "studio/queue.html#queue-results", context)
    if result.approved:
        messages.success(request, f"Approved {len(result.approved)} variant(s).")
    for variant, reason in result.refused:
        messages.error(request, f"#{variant.pk} not approved: {reason}")
    return redirect(safe_next(request, reverse("studio:queue", args=[slug])))


def _decide(request, slug: str, pk: int, action: str, run: Callable[[Variant], object],
            done: str):
    access = get_brand_access(request.user, slug, action)
    variant = get_variant(access, pk)
    error = ""
    try:
        run(variant)
    except services.ApprovalDenied as exc:
        if exc.code in ("four_eyes", "role"):
            raise PermissionDenied(str(exc)) from exc
        error = str(exc)
    except services.TransitionDenied as exc:
        error = str(exc)
    if request.htmx:
        variant.refresh_from_db()
        card = build_cards([variant], access, request.user)[0]
        return render(request, "studio/queue.html#variant-card", page_context(
            access, "queue", card=card, card_error=error, card_done="" if error else done,
            here=safe_next(request, "")))
    messages.add_message(request, messages.ERROR if error else messages.SUCCESS,
                         error or f"#{variant.pk} {done}.")
    return redirect(safe_next(request, reverse("studio:variant", args=[slug, pk])))


def _field(request, form_class, name: str) -> str:
    # An invalid form passes "" on, and the service refuses it with a readable message.
    form = form_class(request.POST)
    return form.cleaned_data[name] if form.is_valid() else ""


@login_required
@require_POST
def submit(request, slug: str, pk: int):
    return _decide(request, slug, pk, "submit",
                   lambda v: services.submit_variant(v, by=request.user), "sent to review")


@login_required
@require_POST
def approve(request, slug: str, pk: int):
    return _decide(request, slug, pk, "approve",
                   lambda v: services.approve_variant(v, by=request.user), "approved")


@login_required
@require_POST
def reject(request, slug: str, pk: int):
    reason = _field(request, ReasonForm, "reason")
    return _decide(request, slug, pk, "reject",
                   lambda v: services.reject_variant(v, by=request.user, reason=reason),
                   "rejected")


@login_required
@require_POST
def request_changes(request, slug: str, pk: int):
    comment = _field(request, ReasonForm, "reason")
    return _decide(request, slug, pk, "request_changes",
                   lambda v: services.request_changes(v, by=request.user, comment=comment),
                   "sent back for changes")


@login_required
@require_POST
def retire(request, slug: str, pk: int):
    return _decide(request, slug, pk, "retire",
                   lambda v: services.retire_variant(v, by=request.user), "retired")


@login_required
@require_POST
def comment(request, slug: str, pk: int):
    body = _field(request, CommentForm, "body")
    return _decide(request, slug, pk, "comment",
                   lambda v: services.comment_on_variant(v, by=request.user, body=body),
                   "has your comment")
