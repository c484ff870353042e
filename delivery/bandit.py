"""Thompson sampling over approved variants: Beta-Bernoulli, RNG injected.

Pure: no Django, no I/O. One pool of arms per (brand, intent, stage); the caller loads the
counts, asks `choose()`, stores the returned propensities with the decision (for off-policy
evaluation later) and updates the counts atomically when rewards arrive.

Model, per arm: reward ~ Bernoulli(p), p ~ Beta(a0 + successes, b0 + failures + w*penalties).
- successes/failures: sends whose reward (click or conversion, per brand) did/didn't happen.
- penalties: sends followed by an opt-out. An opt-out loses every future text to that
  person, so it weighs `penalty_weight` failures on top of the send's own failure.
- Prior (a0, b0) pooled from the arm's SIBLINGS: their combined success rate m (Laplace-
  smoothed so an empty pool gives 1/2) spread over `prior_strength` pseudo-sends:
  a0 = k*m, b0 = k*(1-m). A new variant so starts at the pool's rate with the weight of
  two sends, so it is explored but not blindly trusted. Every arm gets its prior from its
  own siblings, so once an arm has data its prior is negligible.

Propensities are estimated by Monte-Carlo (posterior draws, argmax per draw), and the arm
is then drawn FROM those estimates. The logged propensity is therefore exactly the
probability with which the arm was chosen, which inverse-propensity estimators need.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

DEFAULT_DRAWS = 1_000
DEFAULT_PENALTY_WEIGHT = 5.0
DEFAULT_PRIOR_STRENGTH = 2.0
# Added to every draw, far below any real difference: breaks exact ties (draws that
# underflow to 0.0 under a tiny prior) at random instead of always for the first arm.
_TIE_JITTER = 1e-300


ArmId = str | int


@dataclass(frozen=True, slots=True)
class Arm:
    id: ArmId
    successes: float = 0.0
    failures: float = 0.0
    penalties: float = 0.0

    def __post_init__(self) -> None:
        for name in ("successes", "failures", "penalties"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"arm {self.id!r}: {name} must be a finite count >= 0")


@dataclass(frozen=True, slots=True)
class Prior:
    alpha: float
    beta: float


UNIFORM_PRIOR = Prior(1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Choice:
    arm_id: ArmId
    propensities: dict[ArmId, float]


@dataclass(frozen=True, slots=True)
class PosteriorSummary:
    mean: float
    low: float  # lower bound of the equal-tailed credible interval
    high: float
    alpha: float
    beta: float


def record(arm: Arm, *, success: bool, opted_out: bool = False) -> Arm:
    """The arm after one more resolved send (a new Arm; arms are values)."""
    return replace(
        arm,
        successes=arm.successes + success,
        failures=arm.failures + (not success),
        penalties=arm.penalties + opted_out,
    )


def pooled_prior(
    siblings: Sequence[Arm],
    *,
    strength: float = DEFAULT_PRIOR_STRENGTH,
    penalty_weight: float = DEFAULT_PENALTY_WEIGHT,
) -> Prior:
    wins = sum(arm.successes for arm in siblings)
    losses = sum(arm.failures + penalty_weight * arm.penalties for arm in siblings)
    rate = (wins + 1.0) / (wins + losses + 2.0)
    return Prior(strength * rate, strength * (1.0 - rate))


def posterior(
    arm: Arm, prior: Prior = UNIFORM_PRIOR, *, penalty_weight: float = DEFAULT_PENALTY_WEIGHT
) -> Prior:
    losses = arm.failures + penalty_weight * arm.penalties
    return Prior(prior.alpha + arm.successes, prior.beta + losses)


def posterior_summary(
    arm: Arm,
    *,
    prior: Prior = UNIFORM_PRIOR,
    penalty_weight: float = DEFAULT_PENALTY_WEIGHT,
    level: float = 0.95,
) -> PosteriorSummary:
    """Posterior mean and equal-tailed credible interval (95 % by default).

    Pass `prior=pooled_prior(siblings)` to match what choose() uses for this arm.
    """
    from scipy.stats import beta as beta_dist  # slow import, only the studio needs it

    post = posterior(arm, prior, penalty_weight=penalty_weight)
    tail = (1.0 - level) / 2.0
    low, high = beta_dist.ppf([tail, 1.0 - tail], post.alpha, post.beta)
    mean = post.alpha / (post.alpha + post.beta)
    return PosteriorSummary(mean, float(low), float(high), post.alpha, post.beta)


def prob_best(
    arms: Sequence[Arm],
    rng: random.Random,
    *,
    draws: int = 10_000,
    penalty_weight: float = DEFAULT_PENALTY_WEIGHT,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> dict[ArmId, float]:
    """P(arm has the highest rate), by Monte-Carlo over the posteriors."""
    _check_pool(arms, draws, penalty_weight, prior_strength)
    alphas, betas = _posterior_arrays(arms, penalty_weight, prior_strength)
    generator = np.random.default_rng(rng.getrandbits(64))
    samples = generator.beta(alphas[:, None], betas[:, None], size=(len(arms), draws))
    samples += generator.random(samples.shape) * _TIE_JITTER
    wins = np.bincount(samples.argmax(axis=0), minlength=len(arms))
    return {arm.id: float(count) / draws for arm, count in zip(arms, wins, strict=True)}


def choose(
    arms: Sequence[Arm],
    *,
    rng: random.Random,
    draws: int = DEFAULT_DRAWS,
    penalty_weight: float = DEFAULT_PENALTY_WEIGHT,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> Choice:
    """Thompson sampling: pick an arm with the probability that it is the best one."""
    propensities = prob_best(
        arms, rng, draws=draws, penalty_weight=penalty_weight, prior_strength=prior_strength
    )
    return Choice(draw(propensities, rng), propensities)


def draw(propensities: dict[ArmId, float], rng: random.Random) -> ArmId:
    """An arm drawn with exactly its propensity, so the logged propensity is the probability
    the chosen arm had (choose() uses it; so may a caller that reuses an estimate)."""
    point = rng.random()
    cumulative = 0.0
    for arm_id, share in propensities.items():
        cumulative += share
        if point < cumulative:
            return arm_id
    # Float rounding can leave the sum a hair under 1: fall back to the last arm that has
    # any probability, never to one that has none.
    return next(a for a in reversed(propensities) if propensities[a] > 0)


def _posterior_arrays(
    arms: Sequence[Arm], penalty_weight: float, prior_strength: float
) -> tuple[np.ndarray, np.ndarray]:
    wins = np.array([arm.successes for arm in arms], dtype=float)
    losses = np.array([arm.failures + penalty_weight * arm.penalties for arm in arms])
    # Leave-one-out pooling: each arm's prior comes from the others (see module docstring).
    sibling_wins = wins.sum() - wins
    sibling_losses = losses.sum() - losses
    rate = (sibling_wins + 1.0) / (sibling_wins + sibling_losses + 2.0)
    return prior_strength * rate + wins, prior_strength * (1.0 - rate) + losses


def _check_pool(arms: Sequence[Arm], draws: int, penalty_weight: float, strength: float) -> None:
    if not (penalty_weight >= 0 and strength > 0):
        raise ValueError("penalty_weight must be >= 0 and prior_strength > 0")
    if not arms:
        raise ValueError("no arms to choose from")
    if len({arm.id for arm in arms}) != len(arms):
        raise ValueError("arm ids must be unique")
    if draws < 1:
        raise ValueError("draws must be at least 1")
