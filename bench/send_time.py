"""Personal send time against the first open minute, over several seeds of the simulator.

Each seed runs `manage.py simulate_shoppers --compare-send-time` (the same simulated
population twice: the brand's personal send time on, then off; both runs rolled back) for
the demo brand in a database of its own (bench_send_time, seeded without guidelines). One
seed is not a verdict: the bandit's draws are not seeded, so two runs of one seed differ by
a point or two of click rate. The table gives each seed's click rates and the share of texts
sent within an hour of the shopper's preferred hour (the simulator's hidden truth), then
the pooled rates over all seeds and how many seeds personal send time won.

Run: .venv/bin/python bench/send_time.py [--seeds 7,8,9,10,11] [--shoppers 200] [--days 14]
     [--jobs 1]
Writes bench/results/send_time.json. Seeds run one after another by default: each run
holds the demo brand's rows in one long transaction, so parallel runs mostly wait on each
other's locks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ENV = {"DJANGO_ENV": "development", "DJANGO_DEBUG": "0", "STUDIO_DB_NAME": "bench_send_time",
       "LOG_LEVEL": "WARNING", "SMS_PROVIDER": "console", "CELERY_BROKER_URL": ""}
BRAND = "summit-outfitters"


def manage(*args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True,
                          env={**os.environ, **ENV}, capture_output=True, text=True)
    return done.stdout


def compare(seed: int, shoppers: int, days: int) -> dict:
    started = time.monotonic()
    out = manage("simulate_shoppers", "--brand", BRAND, "--shoppers", str(shoppers),
                 "--days", str(days), "--seed", str(seed), "--speed", "--compare-send-time",
                 "--json")
    body = json.loads(out.strip().splitlines()[-1])
    return {"seed": seed, "seconds": round(time.monotonic() - started, 1),
            **body["send_time_comparison"]}


def pooled(rows: list[dict], arm: str) -> dict:
    sends = sum(r[arm]["sends"] for r in rows)
    clicks = sum(r[arm]["clicks"] for r in rows)
    near = sum(r[arm]["sends_near_preferred_hour"] for r in rows)
    return {"sends": sends, "clicks": clicks, "click_rate": clicks / sends if sends else 0.0,
            "near_preferred_hour": near / sends if sends else 0.0,
            "sends_in_quiet_hours": sum(r[arm]["sends_in_quiet_hours"] for r in rows),
            "sends_after_opt_out": sum(r[arm]["sends_after_opt_out"] for r in rows),
            "cart_sends_after_purchase": sum(r[arm]["cart_sends_after_purchase"]
                                             for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,8,9,10,11")
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo", "--no-guidelines", "--no-simulation")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda s: compare(s, args.shoppers, args.days), seeds))
    wall = time.monotonic() - started
    print(f"{args.shoppers} shoppers x {args.days} days per seed, {len(seeds)} seeds, "
          f"{args.jobs} at a time, {wall:.0f} s, load {os.getloadavg()[0]:.1f}")
    print(f"{'seed':>5} {'personal':>17} {'first open':>17} {'lift':>7} "
          f"{'near pref. (p / f)':>19}")
    for r in rows:
        p, f = r["personal"], r["first_open_minute"]
        lift = f"{r['lift']:+.1%}" if r["lift"] is not None else "n/a"
        print(f"{r['seed']:5d} {p['clicks']:4d}/{p['sends']:5d} {p['click_rate']:6.2%} "
              f"{f['clicks']:4d}/{f['sends']:5d} {f['click_rate']:6.2%} {lift:>7} "
              f"{p['sends_near_preferred_hour'] / max(1, p['sends']):9.0%} / "
              f"{f['sends_near_preferred_hour'] / max(1, f['sends']):.0%}")
    mine, base = pooled(rows, "personal"), pooled(rows, "first_open_minute")
    wins = sum(1 for r in rows if r["difference"] > 0)
    more_clicks = sum(1 for r in rows
                      if r["personal"]["clicks"] > r["first_open_minute"]["clicks"])
    lift = mine["click_rate"] / base["click_rate"] - 1 if base["click_rate"] else None
    print(f"pooled: personal {mine['click_rate']:.2%} vs first open minute "
          f"{base['click_rate']:.2%} (lift {lift:+.1%}); a higher click rate in {wins} of "
          f"{len(rows)} seeds, more clicks in {more_clicks}; clicks {mine['clicks']} vs "
          f"{base['clicks']}, texts {mine['sends']} vs {base['sends']}; near the preferred "
          f"hour {mine['near_preferred_hour']:.0%} vs {base['near_preferred_hour']:.0%}")
    print("invariants (both arms, all seeds): in quiet hours "
          f"{mine['sends_in_quiet_hours'] + base['sends_in_quiet_hours']}, after opt-out "
          f"{mine['sends_after_opt_out'] + base['sends_after_opt_out']}, cart after purchase "
          f"{mine['cart_sends_after_purchase'] + base['cart_sends_after_purchase']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "send_time.json").write_text(json.dumps({
        "shoppers": args.shoppers, "days": args.days, "seeds": rows,
        "pooled": {"personal": mine, "first_open_minute": base, "lift": lift,
                   "higher_click_rate": wins, "more_clicks": more_clicks, "runs": len(rows)},
        "jobs": args.jobs, "wall_seconds": round(wall, 1),
        "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
