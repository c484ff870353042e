"""The statistics the Performance page shows for one pool (brand × intent × stage).

Pure: no Django, no I/O; the selectors load the counts, this module turns them into rates,
posteriors, probabilities and the improvement over an equal split. The page repeats these
definitions in words:

- sends: texts handed to the provider (the decision's ``counted_at``: the bandit's trials).
- clicks, conversions: sends with at least one click, resp. conversion or purchase, event
  attributed to them. CTR and conversion rate divide those by sends.
- opt-outs: sends followed by an opt-out within the brand's penalty window (the bandit's
  penalties). Unsubscribe rate = opt-outs / sends.
- posterior: the Beta over the arm's reward rate exactly as ``delivery.bandit.choose`` sees
  it: prior pooled from the arm's active siblings, each opt-out weighing ``penalty_weight``
  failures. Mean and equal-tailed 95 % credible interval.
- P(best): probability that the arm's rate is the highest among the pool's ACTIVE arms
  (approved, current), by seeded Monte-Carlo so the page reads the same on every reload.
- improvement over an equal split: expected reward per send under the bandit's current
  allocation (Thompson sampling sends arm i with probability P(best_i), so Σ P(best_i)·mean_i)
  minus the expected reward if every active arm got the same share (the mean of their
  posterior means). A forecast for the next send from today's posteriors, not a measured
  uplift.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from delivery import bandit

PROB_BEST_DRAWS = 10_000


@dataclass(frozen=True, slots=True)
class ArmCounts:
    """What happened to one variant (one version row) in one pool."""

    variant_id: int
    version: int
    text: str
    active: bool  # approved and current: the bandit may still choose it
    sends: int = 0
    clicks: int = 0
    conversions: int = 0
    opt_outs: int = 0
    # The bandit's own counters (delivery.ArmState): the posterior is built from these.
    successes: int = 0
    failures: int = 0
    penalties: int = 0


@dataclass(frozen=True, slots=True)
class ArmStats:
    counts: ArmCounts
    ctr: float | None
    conversion_rate: float | None
    unsubscribe_rate: float | None
    mean: float
    low: float
    high: float
    prob_best: float | None  # None for an arm the bandit no longer chooses from


@dataclass(frozen=True, slots=True)
class Improvement:
    bandit: float  # expected reward per send under the current allocation
    equal: float  # … if every active arm got the same share

    @property
    def absolute(self) -> float:
        return self.bandit - self.equal

    @property
    def relative(self) -> float | None:
        return self.absolute / self.equal if self.equal > 0 else None


@dataclass(frozen=True, slots=True)
class PoolStats:
    intent: str
    stage: str
    arms: list[ArmStats]
    improvement: Improvement | None  # None with fewer than two active arms

    @property
    def sends(self) -> int:
        return sum(arm.counts.sends for arm in self.arms)

    @property
    def best(self) -> ArmStats | None:
        ranked = [arm for arm in self.arms if arm.prob_best is not None]
        return max(ranked, key=lambda arm: arm.prob_best or 0.0) if ranked else None


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when nothing was sent (0 % would claim a measurement)."""
    return part / whole if whole else None


def seeded_rng(*parts: object) -> random.Random:
    # String seeds hash deterministically (unlike hash()), so a pool's P(best) is the
    # same on every reload and in every process.
    return random.Random(":".join(str(p) for p in parts))


def summarize_pool(
    intent: str, stage: str, counts: Sequence[ArmCounts], *, penalty_weight: float,
    rng: random.Random, draws: int = PROB_BEST_DRAWS,
) -> PoolStats:
    arms = {c.variant_id: _arm(c) for c in counts}
    active = [c for c in counts if c.active]
    shares: dict[bandit.ArmId, float] = {}
    if active:
        shares = bandit.prob_best([arms[c.variant_id] for c in active], rng, draws=draws,
                                  penalty_weight=penalty_weight)
    rows = []
    for c in counts:
        summary = bandit.posterior_summary(
            arms[c.variant_id], prior=_prior(c, active, arms, penalty_weight),
            penalty_weight=penalty_weight)
        rows.append(ArmStats(
            counts=c, ctr=rate(c.clicks, c.sends), conversion_rate=rate(c.conversions, c.sends),
            unsubscribe_rate=rate(c.opt_outs, c.sends), mean=summary.mean, low=summary.low,
            high=summary.high, prob_best=shares.get(c.variant_id)))
    means: dict[bandit.ArmId, float] = {
        row.counts.variant_id: row.mean for row in rows if row.counts.active}
    return PoolStats(intent, stage, rows, improvement_over_equal_split(means, shares))


def improvement_over_equal_split(means: Mapping[bandit.ArmId, float],
                                 shares: Mapping[bandit.ArmId, float]) -> Improvement | None:
    """Σ share_i·mean_i against the plain mean of ``means`` (see the module docstring)."""
    if len(means) < 2:
        return None  # one arm: there is no split to improve on
    weighted = sum(shares.get(arm_id, 0.0) * mean for arm_id, mean in means.items())
    total = sum(shares.get(arm_id, 0.0) for arm_id in means)
    equal = sum(means.values()) / len(means)
    # Monte-Carlo shares sum to 1; normalising keeps a rounding hair out of the result.
    return Improvement(bandit=weighted / total if total else equal, equal=equal)


def daily_series(per_day: Mapping[date, int], *, end: date, days: int = 14
                 ) -> list[tuple[date, int]]:
    """One (day, count) per calendar day ending at ``end``, zeros filled in."""
    start = end - timedelta(days=days - 1)
    return [(day, per_day.get(day, 0)) for day in (start + timedelta(n) for n in range(days))]


def _arm(c: ArmCounts) -> bandit.Arm:
    return bandit.Arm(c.variant_id, c.successes, c.failures, c.penalties)


def _prior(c: ArmCounts, active: Sequence[ArmCounts], arms: Mapping[int, bandit.Arm],
           penalty_weight: float) -> bandit.Prior:
    # The bandit pools each arm's prior from its siblings (leave-one-out). An arm that left
    # the pool (retired, superseded) is judged against the arms that are still in it.
    siblings = [arms[s.variant_id] for s in active if s.variant_id != c.variant_id]
    return bandit.pooled_prior(siblings, penalty_weight=penalty_weight)
