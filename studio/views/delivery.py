"""The pages that read delivery's data: performance per pool and the console outbox.

Delivery (another app) records decisions and sends; the studio only reads them. Until flows
call the decision API there is nothing to measure, and the pages say so rather than
drawing empty charts.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from brandguard.models import Brand
from delivery.models import DeliverySettings
from delivery.selectors import delivery_settings
from studio import presenters
from studio.forms import OutboxFilterForm
from studio.performance import PoolStats, daily_series, seeded_rng, summarize_pool
from studio.permissions import get_brand_access
from studio.selectors import has_outbox, outbox_messages, pool_counts, sends_per_day
from studio.views.common import page_context, render_swappable

CHART_DAYS = 14
OUTBOX_PAGE_SIZE = 50


def summarized_pools(brand: Brand, settings: DeliverySettings, *, intent: str = "",
                     stage: str = "") -> list[PoolStats]:
    # Seeded by brand and pool: the evidence page and the performance page show the same
    # P(best) for the same arm, and a reload does not reshuffle it.
    return [summarize_pool(i, s, arms, penalty_weight=settings.optout_penalty_weight,
                           rng=seeded_rng("performance", brand.pk, i, s))
            for (i, s), arms in pool_counts(brand, intent=intent, stage=stage).items()]


@login_required
@require_GET
def performance(request, slug: str):
    access = get_brand_access(request.user, slug, "view_performance")
    settings = delivery_settings(access.brand)
    today = timezone.localdate()
    per_day = sends_per_day(access.brand, start=today - timedelta(days=CHART_DAYS - 1))
    pools = [presenters.pool_view(stats, daily_series(per_day.get((stats.intent, stats.stage),
                                                                  {}), end=today, days=CHART_DAYS))
             for stats in summarized_pools(access.brand, settings)]
    return render(request, "studio/performance.html", page_context(
        access, "performance", pools=pools, has_sends=any(p["sends"] for p in pools),
        settings=settings, chart_days=CHART_DAYS))


@login_required
@require_GET
def outbox(request, slug: str):
    access = get_brand_access(request.user, slug, "view")
    form = OutboxFilterForm(request.GET or None)
    kind = form.cleaned_data["status"] if form.is_valid() else ""
    messages = outbox_messages(access.brand, kind=kind)
    page = Paginator(messages, OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_swappable(request, "studio/outbox.html", "messages", page_context(
        access, "outbox", form=form, page=page, query=query.urlencode(),
        has_any=page.paginator.count > 0 or has_outbox(access.brand)))
