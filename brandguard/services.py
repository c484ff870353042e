"""Writes for brands and their policies."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from brandguard.models import Brand, BrandPolicy


def save_policy_version(brand: Brand, *, rules: dict, by=None, note: str = "") -> BrandPolicy:
    """Append a new immutable policy version; never edits an old one.

    The version number is taken under a row lock on the brand so two managers saving at
    once get consecutive versions instead of a unique-constraint error.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                Brand.objects.select_for_update().get(pk=brand.pk)
                latest = brand.policies.aggregate(v=Max("version"))["v"] or 0
                return BrandPolicy.objects.create(
                    brand=brand, version=latest + 1, rules=rules, created_by=by, note=note
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a policy version")
