"""Cumulative regret of Thompson sampling vs uniform split vs epsilon-greedy.

A simulated campaign: 5 variants with true click rates from 2 % to 8 %, rewards that arrive
late (each click or non-click is known only after a random delay, like an attribution
window) and reach the learner in batches (counts updated every `--batch` decisions, like a
periodic job). Thompson sampling is the production `delivery.bandit.choose`, called once per
decision. Regret is the expected (pseudo-)regret: sum of best rate minus chosen arm's rate.

Run: .venv/bin/python bench/bandit_sim.py   (writes bench/results/bandit_sim.{json,png})
Target: TS regret <= 15 % of uniform's.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from delivery.bandit import Arm, choose  # noqa: E402

RATES = (0.02, 0.035, 0.05, 0.065, 0.08)
RESULTS = Path(__file__).resolve().parent / "results"

Policy = Callable[[list[Arm], random.Random], int]


@dataclass(frozen=True)
class Config:
    decisions: int
    batch: int
    mean_delay: float
    seeds: int
    epsilon: float


def thompson(arms: list[Arm], rng: random.Random) -> int:
    return int(choose(arms, rng=rng).arm_id)


def uniform(arms: list[Arm], rng: random.Random) -> int:
    return rng.randrange(len(arms))


def epsilon_greedy(epsilon: float) -> Policy:
    def pick(arms: list[Arm], rng: random.Random) -> int:
        if rng.random() < epsilon:
            return rng.randrange(len(arms))
        # Untried arms first (rate 1.0), then the best observed rate; ties at random.
        rates = [
            a.successes / max(a.successes + a.failures, 1) if a.failures + a.successes else 1.0
            for a in arms
        ]
        best = max(rates)
        return rng.choice([i for i, r in enumerate(rates) if r == best])

    return pick


def run(policy: Policy, seed: int, config: Config) -> list[float]:
    """Cumulative regret after each batch boundary, for one seed."""
    world, learner = random.Random(seed), random.Random(seed + 10_000)
    counts = [[0, 0] for _ in RATES]  # what the learner has seen: [successes, failures]
    pending: list[tuple[float, int, bool]] = []  # (arrival, arm, clicked)
    best, regret, curve = max(RATES), 0.0, []
    for step in range(config.decisions):
        if step % config.batch == 0:
            pending = _deliver(pending, step, counts)
            curve.append(regret)
        arms = [Arm(str(i), s, f) for i, (s, f) in enumerate(counts)]
        index = policy(arms, learner)
        clicked = world.random() < RATES[index]
        pending.append((step + world.expovariate(1 / config.mean_delay), index, clicked))
        regret += best - RATES[index]
    curve.append(regret)
    return curve


def _deliver(pending: list[tuple[float, int, bool]], step: int, counts: list[list[int]]):
    arrived = [item for item in pending if item[0] <= step]
    for _, index, clicked in arrived:
        counts[index][0 if clicked else 1] += 1
    return [item for item in pending if item[0] > step]


def simulate(config: Config) -> dict[str, dict]:
    policies = {
        "thompson": thompson,
        "uniform": uniform,
        f"epsilon_greedy_{config.epsilon}": epsilon_greedy(config.epsilon),
    }
    results = {}
    for name, policy in policies.items():
        started = time.perf_counter()
        curves = [run(policy, seed, config) for seed in range(config.seeds)]
        elapsed = time.perf_counter() - started
        finals = [curve[-1] for curve in curves]
        results[name] = {
            "final_mean": statistics.fmean(finals),
            "final_sd": statistics.stdev(finals) if len(finals) > 1 else 0.0,
            "final_min": min(finals),
            "final_max": max(finals),
            "mean_curve": [statistics.fmean(c[i] for c in curves) for i in range(len(curves[0]))],
            "us_per_decision": elapsed / (config.seeds * config.decisions) * 1e6,
        }
    return results


def report(config: Config, results: dict[str, dict]) -> str:
    uniform_regret = results["uniform"]["final_mean"]
    lines = [
        f"{config.decisions} decisions, {config.seeds} seeds, rates {RATES}, batch "
        f"{config.batch}, mean reward delay {config.mean_delay:g} decisions",
        f"{'policy':<22}{'regret':>10}{'sd':>8}{'min':>8}{'max':>8}{'% uniform':>11}{'us/dec':>9}",
    ]
    for name, row in results.items():
        share = 100 * row["final_mean"] / uniform_regret
        lines.append(
            f"{name:<22}{row['final_mean']:>10.1f}{row['final_sd']:>8.1f}"
            f"{row['final_min']:>8.1f}{row['final_max']:>8.1f}{share:>10.1f}%"
            f"{row['us_per_decision']:>9.1f}"
        )
    ratio = results["thompson"]["final_mean"] / uniform_regret
    verdict = "PASS" if ratio <= 0.15 else "FAIL"
    lines.append(f"TS / uniform = {ratio:.3f} (target <= 0.15): {verdict}")
    return "\n".join(lines)


def plot(config: Config, results: dict[str, dict], path: Path) -> None:
    steps = [
        min(i * config.batch, config.decisions)
        for i in range(len(results["uniform"]["mean_curve"]))
    ]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, row in results.items():
        ax.plot(steps, row["mean_curve"], label=f"{name} ({row['final_mean']:.0f})")
    ax.set_xlabel("decisions")
    ax.set_ylabel("cumulative expected regret (clicks)")
    ax.set_title(
        f"Bandit regret, 5 arms {RATES[0]:.0%}-{RATES[-1]:.0%}, "
        f"updates every {config.batch}, mean of {config.seeds} seeds"
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--mean-delay", type=float, default=250.0)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epsilon", type=float, default=0.1)
    args = parser.parse_args(argv)
    config = Config(args.decisions, args.batch, args.mean_delay, args.seeds, args.epsilon)
    results = simulate(config)
    print(report(config, results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"config": vars(args), "rates": RATES, "results": results}
    (RESULTS / "bandit_sim.json").write_text(json.dumps(payload, indent=2))
    plot(config, results, RESULTS / "bandit_sim.png")
    ratio = results["thompson"]["final_mean"] / results["uniform"]["final_mean"]
    return 0 if ratio <= 0.15 else 1


if __name__ == "__main__":
    raise SystemExit(main())
