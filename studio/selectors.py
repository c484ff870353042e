"""Reads for the review studio: checks against the current policy, queues, counts, audit."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from brandguard import MessageContext, Report, check
from brandguard.models import Brand
from brandguard.services import current_policy
from copygen.models import Variant, VariantEvent
from copygen.taxonomy import Intent, Stage

Status = Variant.Status


def message_context(intent: str | None) -> MessageContext:
    # Same context generation uses: a welcome text is the first message a person receives,
    # so CTIA wants the opt-out line in it.
    return MessageContext(message_type="marketing", first_message=intent == Intent.WELCOME)


def check_text(brand: Brand, text: str, *, intent: str | None = None) -> Report:
    """brandguard's report for ``text`` under the brand's CURRENT policy, version stamped."""
    policy, version = current_policy(brand)
    report = check(text, policy, message_context(intent))
    report.policy_version = version
    return report


def chain_of(variant: Variant) -> QuerySet[Variant]:
    root_id = variant.chain_root_id
    return Variant.objects.filter(Q(pk=root_id) | Q(root_id=root_id)).order_by("version")


def chain_author_ids(variants) -> dict[int, set[int]]:
    """Root id → every user who authored a version in that chain, in one query."""
    roots = {v.chain_root_id for v in variants}
    authors: dict[int, set[int]] = {r: set() for r in roots}
    rows = Variant.objects.filter(Q(pk__in=roots) | Q(root_id__in=roots))
    for pk, root_id, author_id in rows.values_list("pk", "root_id", "author_id"):
        if author_id is not None:
            authors[root_id or pk].add(author_id)
    return authors


def queue_variants(brand: Brand, *, intent="", stage="", status="", author=None,
                   request_id=None) -> QuerySet[Variant]:
    qs = (Variant.objects.current().filter(brand=brand)
          .select_related("author", "approved_by", "generation_request"))
    if intent:
        qs = qs.filter(intent=intent)
    if stage:
        qs = qs.filter(stage=stage)
    if status:
        qs = qs.filter(status=status)
    if author:
        qs = qs.filter(author=author)
    if request_id:
        # A request's variants may have been edited since: follow the chains they started.
        qs = qs.filter(Q(generation_request_id=request_id))
    return qs


def status_counts(brand: Brand) -> list[tuple[str, str, int]]:
    counts = dict(Variant.objects.current().filter(brand=brand)
                  .values_list("status").annotate(n=Count("id")))
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


def coverage(brand: Brand) -> tuple[list[tuple[str, str]], list[dict]]:
    """Approved variants per intent × stage pool: which pools a flow could send from."""
    counts = {
        (row["intent"], row["stage"]): row["n"]
        for row in Variant.objects.approved().filter(brand=brand)
        .values("intent", "stage").annotate(n=Count("id"))
    }
    rows = [
        {"intent": value, "label": label,
         "cells": [(stage, counts.get((value, stage), 0)) for stage, _ in Stage.choices]}
        for value, label in Intent.choices
    ]
    return list(Stage.choices), rows


def brand_members(brand: Brand):
    return get_user_model().objects.filter(memberships__brand=brand).distinct().order_by(
        "username")


def brand_events(brand: Brand, *, action="", actor=None, date_from: date | None = None,
                 date_to: date | None = None) -> QuerySet[VariantEvent]:
    qs = VariantEvent.objects.filter(brand=brand).select_related("actor", "variant")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor=actor)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def event_actions(brand: Brand) -> list[str]:
    return sorted(set(VariantEvent.objects.filter(brand=brand)
                      .values_list("action", flat=True).distinct()))
