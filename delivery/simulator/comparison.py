"""The personal send time comparison of `simulate_shoppers --compare-send-time`: two
simulations of one seed, the switch on then off, and their click rates."""

from __future__ import annotations

from delivery.simulator import Report, Simulation


def click_rate(report: Report) -> float:
    return report.clicks / report.sends if report.sends else 0.0


def send_time_comparison(personal: Simulation, first_open_minute: Simulation) -> dict:
    """Click rate (clicks / sends) of the two arms of one seed, and the difference."""
    arms = {"personal": personal, "first_open_minute": first_open_minute}
    body: dict = {name: _arm(sim) for name, sim in arms.items()}
    mine, base = click_rate(personal.report), click_rate(first_open_minute.report)
    body["difference"] = round(mine - base, 4)  # percentage points / 100
    body["lift"] = round(mine / base - 1, 4) if base else None
    return body


def _arm(sim: Simulation) -> dict:
    r = sim.report
    return {"sends": r.sends, "clicks": r.clicks, "click_rate": round(click_rate(r), 4),
            "events": r.events, "sends_near_preferred_hour": sim.sends_near_preferred_hour,
            "sends_in_quiet_hours": r.sends_in_quiet_hours,
            "sends_after_opt_out": r.sends_after_opt_out,
            "cart_sends_after_purchase": r.cart_sends_after_purchase}
