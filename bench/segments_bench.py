"""Throughput of brandguard.segments.analyze on one core (100,000 texts/s).

Run from the repository root: ``.venv/bin/python bench/segments_bench.py [--n 5000]
[--repeats 7]``. Prints a table and writes ``bench/results/segments.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import make_corpus, pin_to_one_core  # noqa: E402
from brandguard.segments import analyze  # noqa: E402

TARGET_TEXTS_PER_S = 100_000
RESULTS = ROOT / "bench" / "results" / "segments.json"


def best_seconds(corpus: list[str], *, smart: bool, repeats: int) -> tuple[float, float]:
    """Best wall time (perf_counter) and best CPU time (process_time) of ``repeats`` passes.

    Best-of keeps the least disturbed pass; CPU time stays honest when other processes share
    the core, wall time is the number the target is judged on.
    """
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        for text in corpus:
            analyze(text, smart_encoding=smart)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_wall, best_cpu


def describe(corpus: list[str]) -> dict:
    analyses = [analyze(text) for text in corpus]
    return {
        "texts": len(corpus),
        "encoding": dict(sorted(Counter(result.encoding for result in analyses).items())),
        "segments": dict(sorted(Counter(result.segments for result in analyses).items())),
        "mean_chars": round(sum(map(len, corpus)) / len(corpus), 1),
        "texts_with_multi_codepoint_clusters": sum(
            result.characters != len(result.sent_text) for result in analyses
        ),
    }


def measure(corpus: list[str], repeats: int) -> list[dict]:
    rows = []
    for mode, smart in (("analyze", False), ("analyze smart_encoding", True)):
        wall, cpu = best_seconds(corpus, smart=smart, repeats=repeats)
        rate = len(corpus) / wall
        rows.append(
            {
                "mode": mode,
                "best_seconds": round(wall, 6),
                "texts_per_s": round(rate),
                "us_per_text": round(wall / len(corpus) * 1e6, 3),
                "cpu_texts_per_s": round(len(corpus) / cpu) if cpu > 0 else None,
                "meets_target": rate >= TARGET_TEXTS_PER_S,
            }
        )
    return rows


def print_table(rows: list[dict], mix: dict, pinned: str) -> None:
    print(f"corpus: {mix}  ({pinned}, load {os.getloadavg()[0]:.2f})")
    print(f"{'mode':<24} {'texts/s':>10} {'us/text':>9} {'cpu texts/s':>12} {'target':>8}")
    for row in rows:
        verdict = "ok" if row["meets_target"] else "MISSED"
        cpu_rate = f"{row['cpu_texts_per_s']:,}" if row["cpu_texts_per_s"] else "-"
        print(
            f"{row['mode']:<24} {row['texts_per_s']:>10,} {row['us_per_text']:>9} "
            f"{cpu_rate:>12} {verdict:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    pinned = pin_to_one_core()
    corpus = make_corpus(args.n, seed=args.seed)
    mix = describe(corpus)
    rows = measure(corpus, args.repeats)
    print_table(rows, mix, pinned)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "brandguard.segments.analyze",
        "target_texts_per_s": TARGET_TEXTS_PER_S,
        "corpus": {"generator": "bench.corpus.make_corpus", "seed": args.seed, **mix},
        "repeats": args.repeats,
        "pinned": pinned,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": rows,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
