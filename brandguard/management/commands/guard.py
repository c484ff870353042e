import json

from django.core.management.base import BaseCommand, CommandError

from brandguard import MessageContext, check
from brandguard.models import Brand
from brandguard.policy import MESSAGE_TYPES
from brandguard.services import current_policy

# Exit status, so scripts and CI can gate on the verdict like on any linter.
EXIT_PASSED, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2


class Command(BaseCommand):
    help = ("Check one SMS text against a brand's current policy and print the report. "
            "Exit status: 0 passed, 1 blocked, 2 usage error.")

    def add_arguments(self, parser):
        parser.add_argument("text")
        parser.add_argument("--brand", required=True, help="brand slug")
        parser.add_argument("--first-message", action="store_true")
        parser.add_argument("--message-type", default="marketing", choices=MESSAGE_TYPES)
        parser.add_argument("--days-since-optout-notice", type=int, default=None)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        brand = Brand.objects.filter(slug=opts["brand"]).first()
        if brand is None:
            raise CommandError(f"no brand with slug {opts['brand']!r}", returncode=EXIT_USAGE)
        policy, version = current_policy(brand)
        context = MessageContext(
            message_type=opts["message_type"], first_message=opts["first_message"],
            days_since_last_optout_notice=opts["days_since_optout_notice"],
        )
        report = check(opts["text"], policy, context)
        report.policy_version = version
        if opts["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            self._print(report, brand, version)
        if not report.passed:
            blocking = sum(1 for f in report.findings if f.severity == "block")
            raise CommandError(f"blocked by {blocking} finding(s)", returncode=EXIT_BLOCKED)

    def _print(self, report, brand, version):
        a = report.analysis
        verdict = "PASS" if report.passed else "BLOCKED"
        self.stdout.write(f"{verdict} · {brand.name} policy v{version or 'default'}")
        self.stdout.write(f"{a.encoding}, {a.segments} segment(s), {a.units} units; "
                          f"worst case with merge fields: {report.worst_case_segments} segment(s)")
        for ch in a.non_gsm:
            hint = f" (GSM look-alike {ch.replacement!r})" if ch.replacement else ""
            self.stdout.write(f"  forces UCS-2: {ch.char!r} at {ch.index}{hint}")
        for f in report.findings:
            where = ", ".join(f"{s}-{e}" for s, e in f.spans)
            self.stdout.write(f"  {f.severity:5} {f.rule} [{f.source}] {f.message}"
                              + (f" @ {where}" if where else ""))
            if f.fix:
                self.stdout.write(f"        fix: {f.fix}")
        for name, tone in report.tone.items():
            mark = "ok" if tone.in_range else "OUT OF RANGE"
            self.stdout.write(f"  tone {name}: {tone.score:.2f} in {tone.range} {mark}")
        if report.fixed_text:
            self.stdout.write(f"suggested text: {report.fixed_text}")
