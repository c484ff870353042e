"""Writes for brands and their policies."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from brandguard.models import Brand, BrandPolicy
from brandguard.policy import Policy


def current_policy(brand: Brand) -> tuple[Policy, int | None]:
    """The brand's current Policy and its version; a brand with no saved policy gets the
    engine's defaults (version None) so checks still run."""
    row = BrandPolicy.objects.current_for(brand)
    if row is None:
        return Policy(brand_name=brand.sender_name, support_contact=brand.support_contact,
                      website_domain=brand.website_domain), None
    return row.to_policy(), row.version


def draft_policy(brand: Brand, rules: dict) -> Policy:
    """The Policy `rules` would make if saved now, for trying text against an edit first."""
    return BrandPolicy(brand=brand, rules=rules).to_policy()


def current_offers(brand: Brand) -> dict:
    row = BrandPolicy.objects.current_for(brand)
    return dict(row.offers) if row is not None else {}


def save_policy_version(
    brand: Brand, *, rules: dict, offers: dict | None = None, by=None, note: str = ""
) -> BrandPolicy:
    """Append a new immutable policy version; never edits an old one.

    The version number is taken under a row lock on the brand so two managers saving at
    once get consecutive versions instead of a unique-constraint error.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                Brand.objects.select_for_update().get(pk=brand.pk)
                latest = brand.policies.aggregate(v=Max("version"))["v"] or 0
                if offers is None:
                    previous = brand.policies.order_by("-version").first()
                    offers = previous.offers if previous else {}
                return BrandPolicy.objects.create(
                    brand=brand, version=latest + 1, rules=rules, offers=offers,
                    created_by=by, note=note,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a policy version")
