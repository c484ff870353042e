"""Generation: from a request to checked, persisted variants with full provenance.

The pipeline is retrieve → prompt → model (or the offline composer) → parse → brandguard →
one repair round → persist. Variants and the request's final state are written in one
transaction at the end, so a failure never leaves half a batch behind and a redelivered
task simply runs again.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from brandguard import MessageContext, Report, check
from brandguard.models import Brand
from brandguard.policy import Policy
from brandguard.services import current_offers, current_policy
from copygen import composer, llm, prompts
from copygen.models import GenerationRequest, Variant, VariantEvent
from copygen.schemas import DraftBatch, DraftVariant
from copygen.selectors import retrieve_chunks
from copygen.taxonomy import INTENT_DESCRIPTIONS, STAGE_DESCRIPTIONS, Intent, OfferKind, Stage

logger = logging.getLogger(__name__)

RETRIEVAL_K = 6
Status = GenerationRequest.Status


class GenerationError(Exception):
    """A request that cannot be generated, with a message for the person who asked."""


class OfferNotAllowed(GenerationError):
    pass


def offer_text(kind: str, percent: int | None) -> str:
    if kind == OfferKind.FREE_SHIPPING:
        return "free shipping"
    if kind == OfferKind.PERCENT_OFF:
        return f"{percent}% off"
    return "no offer"


def validate_offer(offers: dict, *, stage: str, kind: str, percent: int | None) -> None:
    """The brand's offer policy decides which offers copy may make, for whom."""
    if kind == OfferKind.NONE:
        return
    if kind == OfferKind.FREE_SHIPPING:
        if not offers.get("free_shipping"):
            raise OfferNotAllowed("This brand's offer policy does not allow free shipping offers.")
        return
    limit = int(offers.get("max_percent_off") or 0)
    if percent is None or percent < 1:
        raise OfferNotAllowed("Give the percentage for a percent-off offer.")
    if limit == 0:
        raise OfferNotAllowed("This brand's offer policy allows no percentage discounts.")
    if percent > limit:
        raise OfferNotAllowed(f"This brand's offer policy allows at most {limit}% off.")
    stages = offers.get("percent_off_stages") or []
    if stages and stage not in stages:
        allowed = ", ".join(Stage(s).label.lower() for s in stages if s in Stage.values)
        raise OfferNotAllowed(f"Percentage discounts are only allowed for: {allowed}.")


def request_generation(
    brand: Brand, *, by, intent: str, stage: str, n: int = 5, audience_notes: str = "",
    offer_kind: str = OfferKind.NONE, offer_percent: int | None = None, enqueue: bool = True,
) -> GenerationRequest:
    """Validate, record and queue a request; the worker runs it after commit.
    ``enqueue=False`` is for callers that run it themselves (the CLI)."""
    from copygen.tasks import run_generation_request

    if intent not in Intent.values:
        raise GenerationError(f"Unknown intent {intent!r}.")
    if stage not in Stage.values:
        raise GenerationError(f"Unknown lifecycle stage {stage!r}.")
    if not 1 <= n <= 20:
        raise GenerationError("Ask for between 1 and 20 variants.")
    validate_offer(current_offers(brand), stage=stage, kind=offer_kind, percent=offer_percent)
    with transaction.atomic():
        req = GenerationRequest.objects.create(
            brand=brand, requested_by=by, intent=intent, stage=stage, n=n,
            audience_notes=audience_notes.strip()[:500], offer_kind=offer_kind,
            offer_percent=offer_percent if offer_kind == OfferKind.PERCENT_OFF else None,
        )
        if enqueue:
            transaction.on_commit(lambda: run_generation_request.delay(req.pk))
    return req


@dataclass
class _Candidate:
    draft: DraftVariant
    report: Report
    repair_attempts: int = 0
    example_reused: bool = False  # the composer repeated a brand example word for word


@dataclass
class _Run:
    req: GenerationRequest
    policy: Policy
    policy_version: int | None
    context: MessageContext
    spec: prompts.GenerationSpec
    brand_facts: prompts.BrandFacts
    limits: prompts.Limits
    passages: list[prompts.Passage] = field(default_factory=list)
    retrieved: list[dict] = field(default_factory=list)
    config: llm.LLMConfig | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    shortfall: str = ""  # said in the request's message when the model gave fewer than N


def run_generation(request_id: int) -> GenerationRequest:
    """Run one request end to end. Idempotent: a finished request is returned as is."""
    req = GenerationRequest.objects.select_related("brand").get(pk=request_id)
    if req.finished:
        return req
    try:
        run = _prepare(req)
        _progress(req, Status.RETRIEVING, 0, "Retrieving the brand's guidelines…")
        _retrieve(run)
        candidates = _generate(run)
        _progress(req, Status.CHECKING, len(candidates), "Checking every variant…")
        if run.config is not None:
            _repair(run, candidates)
        _persist(run, candidates)
    except (GenerationError, llm.LLMError) as exc:
        _fail(req, str(exc))
    except Exception as exc:  # a worker must never leave a request spinning forever
        logger.exception("generation request %s failed", request_id)
        _fail(req, f"Unexpected error while generating: {type(exc).__name__}: {exc}")
    req.refresh_from_db()
    return req


def _prepare(req: GenerationRequest) -> _Run:
    brand = req.brand
    policy, version = current_policy(brand)
    # The offer policy may have tightened since the request was queued.
    validate_offer(current_offers(brand), stage=req.stage, kind=req.offer_kind,
                   percent=req.offer_percent)
    spec = prompts.GenerationSpec(
        intent=req.intent, intent_label=Intent(req.intent).label,
        intent_description=INTENT_DESCRIPTIONS[req.intent],
        stage=req.stage, stage_label=Stage(req.stage).label,
        stage_description=STAGE_DESCRIPTIONS[req.stage], n=req.n,
        audience_notes=req.audience_notes, offer_text=offer_text(req.offer_kind, req.offer_percent),
    )
    limits = prompts.Limits(
        max_segments=policy.max_segments, allow_unicode=policy.allow_unicode,
        emoji_limit=policy.emoji_limit, banned_phrases=tuple(policy.banned_phrases),
        required_phrases=tuple(policy.required_phrases),
        allowed_link_domains=tuple(policy.allowed_link_domains) or (brand.website_domain,),
        merge_fields={name: mf.max_length for name, mf in policy.merge_fields.items()},
        urgency_max=policy.tone.get("urgency", (0.0, 1.0))[1],
    )
    facts = prompts.BrandFacts(name=brand.name, sender_name=brand.sender_name,
                               website_domain=brand.website_domain,
                               support_contact=brand.support_contact)
    context = MessageContext(message_type="marketing", first_message=req.intent == Intent.WELCOME)
    run = _Run(req=req, policy=policy, policy_version=version, context=context, spec=spec,
               brand_facts=facts, limits=limits, config=llm.config_from_settings())
    req.provider = Variant.Provider.LLM if run.config else Variant.Provider.COMPOSER
    req.model_name = run.config.model if run.config else "offline composer"
    req.started_at = timezone.now()
    req.save(update_fields=["provider", "model_name", "started_at"])
    return run


def _retrieve(run: _Run) -> None:
    hits = retrieve_chunks(run.req.brand, prompts.retrieval_query(run.spec), k=RETRIEVAL_K)
    run.passages = [
        prompts.Passage(id=f"G{hit.chunk.pk}", heading=hit.chunk.heading, text=hit.chunk.text,
                        score=hit.score)
        for hit in hits
    ]
    run.retrieved = [{"chunk_id": hit.chunk.pk, "score": round(hit.score, 4)} for hit in hits]


def _generate(run: _Run) -> list[_Candidate]:
    n = run.req.n
    _progress(run.req, Status.GENERATING, 0, f"Generating 0/{n}…")
    if run.config is None:
        composed = composer.compose(
            run.spec, run.passages, run.brand_facts, run.limits, fits=lambda t: _fits(run, t),
            offer=composer.Offer(run.req.offer_kind, run.req.offer_percent), seed=_seed(run.req),
        )
        if not composed:
            raise GenerationError("The offline composer found nothing that fits this brand's "
                                  "limits; connect a model or loosen the segment limit.")
        candidates = [_Candidate(draft=c.draft, report=check(c.draft.text, run.policy, run.context),
                                 example_reused=c.example_reused) for c in composed]
    else:
        drafts = _drafts_from_model(run)
        candidates = [_Candidate(draft=d, report=check(d.text, run.policy, run.context))
                      for d in drafts]
    _progress(run.req, Status.GENERATING, len(candidates), f"Generated {len(candidates)}/{n}.")
    return candidates


def _drafts_from_model(run: _Run) -> list[DraftVariant]:
    """N distinct drafts; when the model returns fewer, it is asked once more for the rest."""
    n = run.req.n
    schema = _schema_hint(run)
    drafts = _usable(_call_model(run, prompts.user_prompt(run.spec, run.passages,
                                                          schema_hint=schema)), [])[:n]
    first = len(drafts)
    if first < n:
        missing = n - first
        _progress(run.req, Status.GENERATING, first,
                  f"Generated {first}/{n}; asking the model for {missing} more…")
        try:
            more = _call_model(run, prompts.more_prompt(run.spec, run.passages,
                                                        [d.text for d in drafts], missing,
                                                        schema_hint=schema))
        except llm.LLMError as exc:
            if not drafts:
                raise
            logger.warning("asking again failed for request %s: %s", run.req.pk, exc)
            more = []
        drafts += _usable(more, drafts)[:missing]
        if len(drafts) < n:
            run.shortfall = (f" The model returned {len(drafts)} usable of the {n} asked for, "
                             "after asking once more.")
    if not drafts:
        raise GenerationError("The model returned no usable variants.")
    return drafts


def _usable(drafts: list[DraftVariant], have: list[DraftVariant]) -> list[DraftVariant]:
    """Drafts with text that differ from each other and from ``have``."""
    seen = {_normalised(d.text) for d in have}
    out = []
    for draft in drafts:
        key = _normalised(draft.text)
        if key and key not in seen:
            seen.add(key)
            out.append(draft)
    return out


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _call_model(run: _Run, user: str) -> list[DraftVariant]:
    assert run.config is not None  # only called when a model is configured
    system = prompts.system_prompt(run.brand_facts, run.limits)
    result = llm.generate_structured(system, user, run.config)
    run.tokens_in += result.tokens_in
    run.tokens_out += result.tokens_out
    run.latency_ms += result.latency_ms
    return list(result.batch.variants)


def _repair(run: _Run, candidates: list[_Candidate]) -> None:
    """One bounded repair round: failing drafts go back with their findings and the
    deterministic fix as a hint. A failed repair call keeps the originals."""
    failing = [c for c in candidates if not c.report.passed]
    if not failing:
        return
    items = [
        prompts.RepairItem(index=i, text=c.draft.text, fixed_text=c.report.fixed_text,
                           findings=tuple(f"{f.rule}: {f.message}" for f in c.report.findings
                                          if f.severity == "block"))
        for i, c in enumerate(failing)
    ]
    try:
        repaired = _call_model(run, prompts.repair_prompt(items))
    except llm.LLMError as exc:
        logger.warning("repair round failed for request %s: %s", run.req.pk, exc)
        return
    for candidate, draft in zip(failing, repaired, strict=False):
        candidate.repair_attempts = 1
        report = check(draft.text, run.policy, run.context)
        if report.passed or len(report.findings) < len(candidate.report.findings):
            candidate.draft, candidate.report = draft, report


def _persist(run: _Run, candidates: list[_Candidate]) -> None:
    req = run.req
    known = {r["chunk_id"] for r in run.retrieved}
    share = max(len(candidates), 1)
    with transaction.atomic():
        locked = GenerationRequest.objects.select_for_update().get(pk=req.pk)
        if locked.finished:
            return  # another delivery of the same task finished first
        for c in candidates:
            report = c.report.to_dict() | {"policy_version": run.policy_version}
            variant = Variant.objects.create(
                brand=req.brand, intent=req.intent, stage=req.stage, text=c.draft.text,
                example_reused=c.example_reused,
                status=Variant.Status.DRAFT if c.report.passed else Variant.Status.FAILED_CHECKS,
                author=req.requested_by, provider=req.provider, model_name=req.model_name,
                prompt_version=prompts.PROMPT_VERSION,
                temperature=run.config.temperature if run.config else None,
                angle=c.draft.angle, tone_label=c.draft.tone, offer_level=c.draft.offer_level,
                rationale=c.draft.rationale, retrieved=run.retrieved,
                cited_chunk_ids=_cited_ids(c.draft.cited_passages, known),
                guard_report=report, policy_version=run.policy_version,
                tokens_in=run.tokens_in // share, tokens_out=run.tokens_out // share,
                latency_ms=run.latency_ms // share, repair_attempts=c.repair_attempts,
                generation_request=req,
            )
            VariantEvent.objects.create(
                variant=variant, brand=req.brand, actor=req.requested_by, action="generated",
                to_status=variant.status, version=1, policy_version=run.policy_version,
                reason=f"{req.model_name} for request #{req.pk}",
            )
        passed = sum(1 for c in candidates if c.report.passed)
        locked.status, locked.progress_done = Status.DONE, len(candidates)
        locked.message = f"{len(candidates)} variants, {passed} passed the checks.{run.shortfall}"
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "progress_done", "message", "finished_at"])


def _cited_ids(cited: list[str], known: set[int]) -> list[int]:
    """Keep only citations of passages we actually showed the model."""
    ids = []
    for handle in cited:
        digits = handle.strip().lstrip("Gg")
        if digits.isdigit() and int(digits) in known and int(digits) not in ids:
            ids.append(int(digits))
    return ids


def _fits(run: _Run, text: str) -> bool:
    report = check(text, run.policy, run.context)
    return report.worst_case_segments <= run.policy.max_segments and report.passed


def _seed(req: GenerationRequest) -> int:
    """The composer's seed: the same request (intent, stage, notes, offer) composes the same
    variants, whoever asks and however often."""
    key = f"{req.intent}|{req.stage}|{req.audience_notes}|{req.offer_kind}|{req.offer_percent}"
    return zlib.crc32(key.encode())


def _schema_hint(run: _Run) -> str | None:
    if run.config is not None and run.config.method == "json_mode":
        return prompts.schema_hint(DraftBatch.model_json_schema())
    return None


def _progress(req: GenerationRequest, status: str, done: int, message: str) -> None:
    # Written outside any transaction so a polling page sees it at once.
    GenerationRequest.objects.filter(pk=req.pk).update(status=status, progress_done=done,
                                                       message=message)


def _fail(req: GenerationRequest, message: str) -> None:
    GenerationRequest.objects.filter(pk=req.pk).exclude(status=Status.DONE).update(
        status=Status.FAILED, message=message[:1000], finished_at=timezone.now()
    )
