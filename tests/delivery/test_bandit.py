from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta as beta_dist

from delivery.bandit import (
    UNIFORM_PRIOR,
    Arm,
    Choice,
    Prior,
    choose,
    pooled_prior,
    posterior,
    posterior_summary,
    prob_best,
    record,
)

counts = st.integers(0, 5_000)
arms_strategy = st.lists(
    st.builds(Arm, id=st.text(min_size=1, max_size=4), successes=counts, failures=counts,
              penalties=st.integers(0, 20)),
    min_size=1, max_size=12, unique_by=lambda arm: arm.id,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(arms=arms_strategy, seed=st.integers(0, 2**32))
def test_propensities_cover_every_arm_and_sum_to_one(arms, seed):
    choice = choose(arms, rng=random.Random(seed))

    assert set(choice.propensities) == {arm.id for arm in arms}
    assert math.isclose(sum(choice.propensities.values()), 1.0, abs_tol=1e-9)
    assert all(0.0 <= share <= 1.0 for share in choice.propensities.values())
    assert choice.propensities[choice.arm_id] > 0


@settings(max_examples=100, deadline=None)
@given(
    best=st.floats(0.05, 0.3),
    gap=st.floats(0.02, 0.05),
    others=st.integers(1, 6),
    seed=st.integers(0, 2**32),
)
def test_the_best_arm_dominates_after_enough_evidence(best, gap, others, seed):
    sends = 20_000
    arms = [Arm("best", round(best * sends), round((1 - best) * sends))]
    for i in range(others):
        rate = best - gap * (1 + i / 2)
        arms.append(Arm(f"arm{i}", round(max(rate, 0) * sends), round((1 - max(rate, 0)) * sends)))

    choice = choose(arms, rng=random.Random(seed))

    assert choice.propensities["best"] > 0.95


def test_the_same_seed_gives_the_same_choice():
    arms = [Arm("a", 3, 40), Arm("b", 5, 38), Arm("c")]

    assert choose(arms, rng=random.Random(7)) == choose(arms, rng=random.Random(7))


def test_a_single_arm_is_always_chosen_with_certainty():
    assert choose([Arm("only", 1, 1)], rng=random.Random(1)) == Choice("only", {"only": 1.0})


def test_choices_follow_the_logged_propensities():
    arms = [Arm("a", 10, 90), Arm("b", 13, 87), Arm("c", 8, 92)]
    rng = random.Random(3)
    picks = [choose(arms, rng=rng) for _ in range(3_000)]

    seen = Counter(choice.arm_id for choice in picks)
    for arm in arms:
        expected = sum(choice.propensities[arm.id] for choice in picks)
        assert abs(seen[arm.id] - expected) < 4 * math.sqrt(expected) + 5


def test_opt_outs_count_as_weighted_failures():
    clean, opted = Arm("clean", 50, 950), Arm("opted", 50, 950, penalties=60)

    shares = prob_best([clean, opted], random.Random(1), draws=20_000)

    assert shares["clean"] > 0.8
    assert posterior(opted, penalty_weight=5.0).beta == 1 + 950 + 5 * 60


def test_a_zero_penalty_weight_ignores_opt_outs():
    arms = [Arm("clean", 50, 950), Arm("opted", 50, 950, penalties=10)]

    shares = prob_best(arms, random.Random(1), draws=20_000, penalty_weight=0.0)

    assert abs(shares["clean"] - 0.5) < 0.03


def test_a_new_arm_starts_from_its_siblings_pooled_rate():
    siblings = [Arm("a", 40, 960), Arm("b", 60, 940)]

    prior = pooled_prior(siblings, strength=2.0)

    assert math.isclose(prior.alpha + prior.beta, 2.0)
    assert math.isclose(prior.alpha / 2.0, 101 / 2002)


def test_without_siblings_the_prior_is_uniform():
    assert pooled_prior([]) == Prior(1.0, 1.0)


def test_a_new_arm_is_explored_but_not_favoured_among_weak_siblings():
    arms = [Arm("a", 20, 980), Arm("b", 25, 975), Arm("new")]

    shares = prob_best(arms, random.Random(5), draws=20_000)

    assert 0.02 < shares["new"] < 0.6


def test_posterior_summary_gives_the_mean_and_95_percent_interval():
    summary = posterior_summary(Arm("a", 10, 90))

    assert math.isclose(summary.mean, 11 / 102)
    assert math.isclose(summary.low, beta_dist.ppf(0.025, 11, 91))
    assert math.isclose(summary.high, beta_dist.ppf(0.975, 11, 91))
    assert summary.low < summary.mean < summary.high


def test_more_evidence_narrows_the_interval():
    few = posterior_summary(Arm("a", 5, 95))
    many = posterior_summary(Arm("a", 500, 9_500))

    assert many.high - many.low < (few.high - few.low) / 5


def test_posterior_summary_accepts_the_pooled_prior():
    summary = posterior_summary(Arm("new"), prior=Prior(0.1, 1.9))

    assert math.isclose(summary.mean, 0.05)
    assert summary.alpha == 0.1


def test_prob_best_splits_evenly_between_identical_arms():
    shares = prob_best([Arm("a", 5, 95), Arm("b", 5, 95)], random.Random(2), draws=20_000)

    assert abs(shares["a"] - 0.5) < 0.03


def test_record_adds_one_resolved_send():
    arm = record(record(Arm("a"), success=True), success=False, opted_out=True)

    assert (arm.successes, arm.failures, arm.penalties) == (1, 1, 1)


@pytest.mark.parametrize(
    "arms",
    [[], [Arm("a"), Arm("a")]],
)
def test_an_empty_or_duplicated_pool_is_refused(arms):
    with pytest.raises(ValueError):
        choose(arms, rng=random.Random(1))


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        Arm("a", successes=-1)


def test_the_uniform_prior_is_beta_one_one():
    assert UNIFORM_PRIOR == Prior(1.0, 1.0)
