"""The simulated shop: where shoppers live, what the shop sells, and each shopper's habits
(the ground truth the product never sees)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

AREAS = (("212", "America/New_York"), ("312", "America/Chicago"),
         ("213", "America/Los_Angeles"), ("305", "America/New_York"))  # 305: Florida's 8-20
CATEGORIES = ("tents", "packs", "stoves", "jackets", "boots", "fuel")
TICK = timedelta(minutes=10)
CONTACTS_BATCH = 1000  # the contacts batch endpoint's limit
SIMULATION_ENDED = "simulation_ended"
CONSENT_TEXT = ("I agree to receive recurring marketing texts at this number. Consent is not "
                "a condition of purchase. Msg & data rates may apply. Reply STOP to opt out.")
SIM_COPY = ("{brand}: a quick note about {topic}: {link} Reply STOP to opt out")


@dataclass
class Shopper:
    phone: str
    zone: str
    hour: int              # preferred local hour
    visits_per_day: float
    cart_rate: float
    buy_rate: float
    click_factor: float
    opted_out: bool = False
    subscribed: bool = True
