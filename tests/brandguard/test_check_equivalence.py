"""The shared-pass engine gives exactly the reports the engine gave before it (see
tests/brandguard/equivalence.py for the cases and how the digests were recorded)."""

from __future__ import annotations

import json

from tests.brandguard.equivalence import FIXTURE, cases, digest


def test_every_recorded_case_gives_the_same_report_as_before():
    recorded = json.loads(FIXTURE.read_text())
    all_cases = cases(recorded["literals"])
    assert len(all_cases) == len(recorded["digests"])
    changed = [
        case for case, expected in zip(all_cases, recorded["digests"], strict=True)
        if digest(*case) != expected
    ]
    assert changed == [], f"{len(changed)} reports changed, first: {changed[:3]}"
