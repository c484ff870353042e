"""Webhooks, short links and (benchmarks only) the bare baseline view."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from delivery import bench_views, views

app_name = "delivery"

urlpatterns = [
    path("webhooks/twilio/inbound", views.twilio_inbound, name="twilio-inbound"),
    path("webhooks/twilio/status", views.twilio_status, name="twilio-status"),
    path("l/<str:code>", views.short_link, name="short-link"),
]

# bench/decisions.py compares the API with these views on the same server. They are off
# unless DEBUG or DELIVERY_BENCH_BARE_VIEW=1.
if settings.DEBUG or settings.DELIVERY_BENCH_BARE_VIEW:
    urlpatterns += [
        path("api/bench/bare", views.bench_bare, name="bench-bare"),
        path("api/bench/floor", bench_views.bench_floor, name="bench-floor"),
    ]
