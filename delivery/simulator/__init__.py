"""Plausible shoppers replayed through the public API with a fast-forward clock
(`manage.py simulate_shoppers`).

Each shopper has a number in one of a few US zones, a preferred local hour, habits (how often
they visit, how far they browse, how often they add to a cart and buy) and a hidden taste
for each variant (its click rate, unknown to the bandit).

Every write a flow or a person makes goes through an HTTP route of the app, served in-process
(the Django test client against the WSGI app, with the API key's Authorization header):
shoppers and their consent proof are registered with `POST /api/v1/contacts/batch` (and
`POST /api/v1/contacts` when one signs up during the run), behaviour and STOPs are reported
to `POST /api/v1/events` with `occurred_at`, clicks follow `GET /l/<code>`. The delivery
clock (`delivery.clock.use`) is set to the simulated instant. Each simulated tick then does
what beat and the worker do: fire due journey steps and deliver due sends, through the
console provider only (nothing leaves the machine). A shopper who gets a text may click its
link, buy after the click or reply STOP. Only the operator's set-up is direct: an API key
for the run and, where a pool is empty, two plain approved variants.

Everything runs in one transaction that is rolled back at the end, so a simulation leaves
the brand's data as it found it. With `keep` (the demo's seed) it stays, and what still
waits at the end (steps, sends) is canceled, `simulation_ended`.
"""

from delivery.simulator.report import Report
from delivery.simulator.run import Simulation

__all__ = ["Report", "Simulation"]
