"""The review queue and the decisions taken on it (submit, approve, reject, request
changes, comment, retire, bulk decisions). Each decision is one POST that works without JS
(redirect back) and, from htmx, answers with the re-rendered card."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from copygen.models import Variant
from studio import services
from studio.forms import BulkDecisionForm, CommentForm, QueueFilterForm, ReasonForm
from studio.permissions import get_brand_access
from studio.selectors import brand_members, queue_variants
from studio.views.audit import detail_context
from studio.views.common import (
    build_cards,
    get_variant,
    page_context,
    render_swappable,
    safe_next,
)

QUEUE_PAGE_SIZE = 20
# The permission each bulk decision needs, and how the result names what happened.
BULK = {"approved": ("approve", "Approved"), "rejected": ("reject", "Rejected"),
        "changes_requested": ("request_changes", "Sent back for changes")}


def _queue_context(request, access) -> dict:
    form = QueueFilterForm(request.GET or None, members=brand_members(access.brand))
    data = form.cleaned_data if form.is_valid() else {}
    variants = queue_variants(access.brand, intent=data.get("intent", ""),
                              stage=data.get("stage", ""), status=data.get("status", ""),
                              author=data.get("author"), request_id=data.get("request"),
                              q=data.get("q", ""), sort=data.get("sort") or "newest")
    page = Paginator(variants, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    cards = build_cards(page.object_list, access, request.user)
    return page_context(access, "queue", filter_form=form, page=page, query=query.urlencode(),
                        cards=cards, pickable=any(card["pickable"] for card in cards),
                        here=request.get_full_path(), in_queue=True)


@login_required
@require_GET
def queue(request, slug: str):
    access = get_brand_access(request.user, slug, "view")
    return render_swappable(request, "studio/queue.html", "queue-results",
                            _queue_context(request, access))


@login_required
@require_POST
def bulk_decide(request, slug: str, decision: str = ""):
    """Approve, reject or request changes on every ticked card; each is judged on its own
    and the result lists every variant with what happened to it."""
    form = BulkDecisionForm({"decision": decision or request.POST.get("decision", "approved"),
                             "reason": request.POST.get("reason", "")})
    chosen_decision = form.data["decision"] if form.data["decision"] in BULK else "approved"
    access = get_brand_access(request.user, slug, BULK[chosen_decision][0])
    ids = [int(i) for i in request.POST.getlist("variant") if i.isdigit()]
    result = None
    if form.is_valid():
        chosen = Variant.objects.filter(brand=access.brand, pk__in=ids).order_by("pk")
        result = services.bulk_decide(chosen, by=request.user, action=chosen_decision,
                                      reason=form.cleaned_data["reason"])
    if request.htmx:
        context = _queue_context(request, access) | {
            "bulk": result, "bulk_verb": BULK[chosen_decision][1], "bulk_form": form,
            "picked": set(ids) if result is None else set()}
        return render(request, "studio/queue.html#queue-results", context)
    for error in form.errors.get("reason", []):
        messages.error(request, str(error))
    if result is not None:
        for variant in result.done:
            messages.success(request, f"#{variant.pk}: {BULK[chosen_decision][1].lower()}.")
        for variant, reason in result.refused:
            messages.error(request, f"#{variant.pk} refused: {reason}")
    return redirect(safe_next(request, reverse("studio:queue", args=[slug])))


def bulk_approve(request, slug: str):
    return bulk_decide(request, slug, decision="approved")


def _left_the_list(here: str, variant: Variant) -> bool:
    """True when the list the card sat in filters on a status the variant no longer has."""
    status = parse_qs(urlsplit(here).query).get("status", [""])[0]
    return bool(status) and variant.status != status


def _decide(request, slug: str, pk: int, action: str, run: Callable[[Variant], object],
            done: str, *, form=None):
    access = get_brand_access(request.user, slug, action)
    variant = get_variant(access, pk)
    error = ""
    if form is None or form.is_valid():
        try:
            run(variant)
        except services.ApprovalDenied as exc:
            if exc.code in ("four_eyes", "role"):
                raise PermissionDenied(str(exc)) from exc
            error = str(exc)
        except services.TransitionDenied as exc:
            error = str(exc)
    invalid = form if form is not None and not form.is_valid() else None
    extra = {"card_form": invalid, "card_form_action": action if invalid else ""}
    here = safe_next(request, "")
    if request.htmx:
        variant.refresh_from_db()
        card = build_cards([variant], access, request.user)[0]
        left = not error and invalid is None and _left_the_list(here, variant)
        return render(request, "studio/queue.html#variant-card", page_context(
            access, "queue", card=card, card_error=error, card_left=left,
            card_done="" if error or invalid else done, here=here, **extra,
            # The bulk checkbox only where the bulk form is: on the queue.
            in_queue=urlsplit(here).path == reverse("studio:queue", args=[slug])))
    if invalid is not None:  # the form again, with its error, where it was filled in
        return render(request, "studio/variant.html",
                      detail_context(request, access, variant, **extra))
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
    form = ReasonForm(request.POST)
    return _decide(request, slug, pk, "reject",
                   lambda v: services.reject_variant(v, by=request.user,
                                                     reason=form.cleaned_data["reason"]),
                   "rejected", form=form)


@login_required
@require_POST
def request_changes(request, slug: str, pk: int):
    form = ReasonForm(request.POST)
    return _decide(request, slug, pk, "request_changes",
                   lambda v: services.request_changes(v, by=request.user,
                                                      comment=form.cleaned_data["reason"]),
                   "sent back for changes", form=form)


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
