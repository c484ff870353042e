"""An automated flow driving the bandit through the public HTTP API, with a simulated audience.

Shared by the end-to-end bandit tests (Django's test client) and bench/bandit_e2e.py
(gunicorn over loopback). Each round the flow asks for `round_size` decisions, then the
audience answers: each person clicks with the true rate of the variant they got.
- pulled: the flow sends the copy itself and reports `sent` (and `clicked`) in one batch;
- studio: the decisions say `send: true`; the studio's worker texts them through Twilio, the
  flow waits until GET /api/v1/decisions/{id} says sent, and people click the first-party
  short link in the text (GET /l/<code>).
Regret is the expected (pseudo-)regret: the best rate minus the chosen variant's rate.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

SHORT_LINK = re.compile(r"/l/([A-Za-z0-9_-]+)")
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
DONE = frozenset({"sent", "delivered", "undelivered", "failed", "canceled"})


class Http(Protocol):
    def post(self, path: str, body: dict) -> tuple[int, dict]: ...
    def get_json(self, path: str) -> tuple[int, dict]: ...
    def visit(self, path: str) -> int: ...


Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


@dataclass
class Tally:
    rates: dict[int, float]
    chosen: list[int] = field(default_factory=list)
    clicks: int = 0
    seconds: float = 0.0

    @property
    def regret(self) -> float:
        best = max(self.rates.values())
        return sum(best - self.rates[v] for v in self.chosen)

    @property
    def uniform_regret(self) -> float:
        """What an equal split over the arms would expect to lose in as many decisions."""
        rates = list(self.rates.values())
        return len(self.chosen) * (max(rates) - sum(rates) / len(rates))

    def share(self, variant_id: int, *, last: int | None = None) -> float:
        window = self.chosen[-last:] if last else self.chosen
        return Counter(window)[variant_id] / max(1, len(window))


def run_flow(http: Http, *, mode: str, rates: dict[int, float], phones: Sequence[str],
             decisions: int, round_size: int, seed: int = 1,
             intent: str = "cart_abandonment", stage: str = "active",
             mapper: Mapper = map, wait_timeout: float = 60.0) -> Tally:
    assert mode in ("pulled", "studio")
    audience, tally, started = random.Random(seed), Tally(rates), time.perf_counter()
    asked = 0
    while asked < decisions:
        size = min(round_size, decisions - asked)
        bodies = [{"phone": phones[(asked + n) % len(phones)], "intent": intent,
                   "stage": stage, "send": mode == "studio",
                   "merge": {"first_name": "Sam", "link": "https://acme.co/cart"}}
                  for n in range(size)]
        answers = list(mapper(lambda body: _decide(http, body), bodies))
        asked += size
        clicked = [audience.random() < rates[a["variant_id"]] for a in answers]
        tally.chosen.extend(a["variant_id"] for a in answers)
        tally.clicks += sum(clicked)
        if mode == "pulled":
            _report(http, answers, clicked)
        else:
            _wait_until_sent(http, answers, mapper, wait_timeout)
            list(mapper(lambda a: _click(http, a), [a for a, c in zip(answers, clicked,
                                                                        strict=True) if c]))
    tally.seconds = time.perf_counter() - started
    return tally


def _decide(http: Http, body: dict) -> dict:
    status, answer = http.post("/api/v1/decisions", body)
    if status != 200 or answer["eligibility"]["status"] == "deny":
        raise AssertionError(f"the flow's decision was refused: {status} {answer}")
    return answer


def _report(http: Http, answers: list[dict], clicked: list[bool]) -> None:
    events = []
    for answer, click in zip(answers, clicked, strict=True):
        decision_id = answer["decision_id"]
        events.append({"event_id": f"sent-{decision_id}", "type": "sent",
                       "decision_id": decision_id})
        if click:
            events.append({"event_id": f"click-{decision_id}", "type": "clicked",
                           "decision_id": decision_id})
    for start in range(0, len(events), 1000):
        status, body = http.post("/api/v1/events/batch", {"events": events[start:start + 1000]})
        if status != 200 or body["errors"]:
            raise AssertionError(f"events refused: {status} {body}")


def _wait_until_sent(http: Http, answers: list[dict], mapper: Mapper, timeout: float) -> None:
    waiting = [a["decision_id"] for a in answers]
    deadline = time.monotonic() + timeout
    while waiting:
        states = list(mapper(lambda d: http.get_json(f"/api/v1/decisions/{d}")[1]["send"],
                             waiting))
        failed = [s for s in states if s["status"] in DONE - {"sent", "delivered"}]
        if failed:
            raise AssertionError(f"sends did not go out: {failed[:3]}")
        waiting = [d for d, s in zip(waiting, states, strict=True) if s["status"] not in DONE]
        if waiting and time.monotonic() > deadline:
            raise AssertionError(f"{len(waiting)} sends still not out after {timeout} s")
        if waiting:
            time.sleep(0.1)


def _click(http: Http, answer: dict) -> None:
    match = SHORT_LINK.search(answer["text"])
    assert match, f"no short link in {answer['text']!r}"
    status = http.visit(f"/l/{match.group(1)}")
    assert status == 302, status
