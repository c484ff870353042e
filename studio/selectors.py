"""Reads for the review studio: checks against the current policy, queues, counts, audit,
and delivery's data for the performance, outbox and evidence pages."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate

from brandguard import MessageContext, Report, check
from brandguard.models import Brand
from brandguard.services import current_policy, draft_policy
from copygen.models import Variant, VariantEvent
from copygen.taxonomy import Intent, Stage
from delivery.models import ArmState, Decision, Event, OutboxMessage
from studio.performance import ArmCounts

Status = Variant.Status


def message_context(intent: str | None) -> MessageContext:
    # Same context generation uses: a welcome text is the first message a person receives,
    # so CTIA wants the opt-out line in it.
    return MessageContext(message_type="marketing", first_message=intent == Intent.WELCOME)


def check_text(brand: Brand, text: str, *, intent: str | None = None,
               draft_rules: dict | None = None) -> Report:
    """brandguard's report for ``text`` under the brand's CURRENT policy, version stamped;
    with ``draft_rules``, under those unsaved rules instead (no version)."""
    if draft_rules is not None:
        policy, version = draft_policy(brand, draft_rules), None
    else:
        policy, version = current_policy(brand)
    report = check(text, policy, message_context(intent))
    report.policy_version = version
    return report


def approved_failing(brand: Brand, policy) -> list[tuple[Variant, Report]]:
    """Approved current variants that ``policy`` would block: what saving it sends back."""
    failing = []
    for variant in Variant.objects.approved().filter(brand=brand).order_by("pk"):
        report = check(variant.text, policy, message_context(variant.intent), fix=False)
        if not report.passed:
            failing.append((variant, report))
    return failing


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


REVIEW_ACTIONS = ("rejected", "changes_requested", "sent_back")


def review_notes(variants) -> dict[int, dict]:
    """Root id → the chain's latest review decision (rejection, change request, sent back)
    and its latest comment, for the cards: two queries for the whole page."""
    from studio.models import Comment

    roots = {v.chain_root_id for v in variants}
    rows = Variant.objects.filter(Q(pk__in=roots) | Q(root_id__in=roots))
    root_of = {pk: root_id or pk for pk, root_id in rows.values_list("pk", "root_id")}
    notes: dict[int, dict] = {r: {"decision": None, "comment": None} for r in roots}
    events = (VariantEvent.objects.filter(variant_id__in=root_of, action__in=REVIEW_ACTIONS)
              .select_related("actor").order_by("-created_at", "-id"))
    for event in events:
        note = notes[root_of[event.variant_id]]
        note["decision"] = note["decision"] or event
    comments = (Comment.objects.filter(variant_id__in=root_of).select_related("author")
                .order_by("-created_at", "-id"))
    for comment in comments:
        note = notes[root_of[comment.variant_id]]
        note["comment"] = note["comment"] or comment
    return notes


# Descending with NULLs last: a report stored without the key sorts after every real one.
QUEUE_SORTS = {
    "newest": (F("created_at").desc(), F("id").desc()),
    "segments": (F("worst_segments").desc(nulls_last=True),
                 F("own_segments").desc(nulls_last=True), F("id").desc()),
    "findings": (F("finding_count").desc(nulls_last=True), F("id").desc()),
}


def queue_variants(brand: Brand, *, intent="", stage="", status="", author=None,
                   request_id=None, q: str = "", sort: str = "newest") -> QuerySet[Variant]:
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
    if q.strip():
        match = Q(text__icontains=q.strip())
        if q.strip().lstrip("#").isdigit():  # "#42" finds variant 42 too
            match |= Q(pk=int(q.strip().lstrip("#")))
        qs = qs.filter(match)
    if sort == "segments":
        qs = qs.annotate(
            worst_segments=Cast(KT("guard_report__worst_case_segments"), IntegerField()),
            own_segments=Cast(KT("guard_report__analysis__segments"), IntegerField()))
    elif sort == "findings":
        qs = qs.annotate(finding_count=Func(F("guard_report__findings"),
                                            function="jsonb_array_length",
                                            output_field=IntegerField()))
    return qs.order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["newest"]))


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


# --- Delivery data (performance, outbox, evidence) ----------------------------------------
# Only decisions with ``counted_at`` count as sends: it is set once, when the text was
# handed to the provider, which is exactly when the bandit counts a trial.

Pool = tuple[str, str]


def pool_counts(brand: Brand, *, intent: str = "", stage: str = ""
                ) -> dict[Pool, list[ArmCounts]]:
    """Per pool with approved variants or history: each arm's sends, outcomes and the
    bandit's counters. Active arms (approved, current) first, then retired/superseded ones
    that still have history; each group by id. Four queries, whatever the data size."""
    scope = {"brand": brand} | ({"intent": intent} if intent else {}) | (
        {"stage": stage} if stage else {})
    outcomes = _outcomes(scope)
    arm_rows = {(i, s, v): (wins, losses, penalties) for i, s, v, wins, losses, penalties
                in ArmState.objects.filter(**scope).values_list(
                    "intent", "stage", "variant_id", "successes", "failures", "penalties")}
    approved = Variant.objects.approved().filter(**scope)
    keys = ({(i, s, v) for i, s, v in approved.values_list("intent", "stage", "id")}
            | set(outcomes) | set(arm_rows))
    facts = {pk: (version, text, status == Status.APPROVED and current)
             for pk, version, text, status, current in Variant.objects
             .filter(pk__in={v for _, _, v in keys})
             .values_list("pk", "version", "text", "status", "is_current")}
    pools: dict[Pool, list[ArmCounts]] = {}
    for i, s, v in sorted(keys, key=lambda k: (not facts[k[2]][2], k[2])):
        version, text, active = facts[v]
        counted: dict = outcomes.get((i, s, v), {})
        wins, losses, penalties = arm_rows.get((i, s, v), (0, 0, 0))
        pools.setdefault((i, s), []).append(ArmCounts(
            variant_id=v, version=version, text=text, active=active,
            sends=counted.get("sends", 0), clicks=counted.get("clicks", 0),
            conversions=counted.get("conversions", 0), opt_outs=counted.get("opt_outs", 0),
            successes=wins, failures=losses, penalties=penalties))
    order = {value: n for n, value in enumerate([*Intent.values, *Stage.values])}
    return dict(sorted(pools.items(), key=lambda kv: (order.get(kv[0][0], 99),
                                                       order.get(kv[0][1], 99))))


def _outcomes(scope: dict) -> dict[tuple[str, str, int], dict]:
    def happened(*types: str) -> Exists:
        return Exists(Event.objects.filter(decision=OuterRef("pk"), type__in=types))

    rows = (Decision.objects.filter(**scope, counted_at__isnull=False, variant__isnull=False)
            .annotate(clicked=happened(Event.Type.CLICKED),
                      converted=happened(Event.Type.CONVERTED, Event.Type.PURCHASED))
            .values("intent", "stage", "variant_id")
            .annotate(sends=Count("id"), clicks=Count("id", filter=Q(clicked=True)),
                      conversions=Count("id", filter=Q(converted=True)),
                      opt_outs=Count("id", filter=Q(penalized_at__isnull=False)))
            .order_by())
    return {(r["intent"], r["stage"], r["variant_id"]): r for r in rows}


def sends_per_day(brand: Brand, *, start: date) -> dict[Pool, dict[date, int]]:
    """Sends per pool and calendar day (in the site's time zone) from ``start`` on."""
    rows = (Decision.objects.filter(brand=brand, counted_at__date__gte=start)
            .annotate(day=TruncDate("counted_at")).values("intent", "stage", "day")
            .annotate(n=Count("id")).order_by())
    days: dict[Pool, dict[date, int]] = {}
    for row in rows:
        days.setdefault((row["intent"], row["stage"]), {})[row["day"]] = row["n"]
    return days


def has_outbox(brand: Brand) -> bool:
    return OutboxMessage.objects.filter(brand=brand).exists()


def outbox_messages(brand: Brand, *, kind: str = "") -> QuerySet[OutboxMessage]:
    qs = (OutboxMessage.objects.filter(brand=brand).select_related("send")
          .annotate(variant_id=F("decision__variant_id"),
                    variant_version=F("decision__variant__version"),
                    intent=F("decision__intent"), stage=F("decision__stage")))
    return qs.filter(kind=kind) if kind else qs


def variant_decisions(chain: QuerySet[Variant]) -> QuerySet[Decision]:
    """Every decision that chose a version of this variant, newest first, with its send."""
    return (Decision.objects.filter(variant__in=chain).select_related("send")
            .annotate(variant_version=F("variant__version")).order_by("-created_at"))
