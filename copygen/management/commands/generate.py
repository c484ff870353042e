import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from brandguard.models import Brand
from copygen.models import GuidelineChunk
from copygen.services.generation import GenerationError, request_generation, run_generation
from copygen.taxonomy import Intent, OfferKind, Stage


class Command(BaseCommand):
    help = "Generate N variants for an intent and stage, print them with findings and citations."

    def add_arguments(self, parser):
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("--intent", required=True, choices=Intent.values)
        parser.add_argument("--stage", required=True, choices=Stage.values)
        parser.add_argument("-n", type=int, default=5)
        parser.add_argument("--notes", default="", help="audience notes, e.g. 'bargain-focused'")
        parser.add_argument("--offer", default="none", choices=OfferKind.values)
        parser.add_argument("--percent", type=int, default=None)
        parser.add_argument("--user", default=None, help="username recorded as the author")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **opts):
        brand = Brand.objects.filter(slug=opts["brand"]).first()
        if brand is None:
            raise CommandError(f"no brand with slug {opts['brand']!r}")
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"no user {opts['user']!r}")
        try:
            req = request_generation(
                brand, by=user, intent=opts["intent"], stage=opts["stage"], n=opts["n"],
                audience_notes=opts["notes"], offer_kind=opts["offer"], offer_percent=opts["percent"],
                enqueue=False,
            )
        except GenerationError as exc:
            raise CommandError(str(exc)) from exc
        # Run here rather than through the broker, so the command works with no worker.
        req = run_generation(req.pk)
        if req.status != req.Status.DONE:
            raise CommandError(f"generation failed: {req.message}")
        variants = list(req.variants.order_by("id"))
        chunks = {c.pk: c for c in GuidelineChunk.objects.filter(
            pk__in={i for v in variants for i in v.cited_chunk_ids})}
        if opts["json"]:
            self.stdout.write(json.dumps(_as_json(req, variants, chunks), indent=2))
            return
        self._print(req, variants, chunks)

    def _print(self, req, variants, chunks):
        label = "offline composer — connect a model with OPENAI_BASE_URL" if req.provider == "composer" else req.model_name
        self.stdout.write(f"Request #{req.pk}: {req.message} (made by {label})\n")
        for i, v in enumerate(variants, 1):
            report = v.guard_report
            verdict = "PASS" if v.status == v.Status.DRAFT else "FAIL"
            self.stdout.write(f"[{i}] {verdict}  {report['analysis']['encoding']}, "
                              f"{report['worst_case_segments']} segment(s) worst case · {v.angle}"
                              + (" · example reused" if v.example_reused else ""))
            self.stdout.write(f"    {v.text}")
            for f in report["findings"]:
                self.stdout.write(f"    - {f['severity']:5} {f['rule']}: {f['message']}")
            for cid in v.cited_chunk_ids:
                chunk = chunks.get(cid)
                if chunk:
                    self.stdout.write(f"    cites G{cid}: {chunk.document.source_name} › {chunk.heading}")
            self.stdout.write("")


def _as_json(req, variants, chunks) -> dict:
    return {
        "request_id": req.pk, "status": req.status, "provider": req.provider,
        "model": req.model_name, "message": req.message,
        "variants": [
            {
                "id": v.pk, "text": v.text, "status": v.status, "angle": v.angle,
                "example_reused": v.example_reused,
                "passed": v.status == v.Status.DRAFT,
                "findings": v.guard_report.get("findings", []),
                "encoding": v.guard_report.get("analysis", {}).get("encoding"),
                "worst_case_segments": v.guard_report.get("worst_case_segments"),
                "citations": [
                    {"chunk_id": cid, "heading": chunks[cid].heading,
                     "document": chunks[cid].document.title}
                    for cid in v.cited_chunk_ids if cid in chunks
                ],
            }
            for v in variants
        ],
    }
