"""Journeys: behaviour events start and end steps; the scheduler fires due ones through
delivery's own decision; the lifecycle stage follows behaviour. The rules are pure
(delivery.journeys, delivery.lifecycle, delivery.send_time); these modules read and write."""

from delivery.services.journeys.context import BrandContext, brand_journeys
from delivery.services.journeys.firing import ask_delivery, fire_due_steps, fire_step
from delivery.services.journeys.stages import refresh_stage, set_personal_send_time, stage_for
from delivery.services.journeys.steps import (
    end_for_event,
    exit_journeys,
    on_behaviour_event,
    schedule,
    update_journey,
)

__all__ = [
    "BrandContext",
    "ask_delivery",
    "brand_journeys",
    "end_for_event",
    "exit_journeys",
    "fire_due_steps",
    "fire_step",
    "on_behaviour_event",
    "refresh_stage",
    "schedule",
    "set_personal_send_time",
    "stage_for",
    "update_journey",
]
