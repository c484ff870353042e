"""API keys: created with the plain key returned once, stored as SHA-256, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.utils import timezone

from brandguard.models import Brand
from delivery.models import ApiKey
from delivery.selectors import hash_api_key

KEY_PREFIX = "scs"  # "SMS copy studio": lets secret scanners recognise a leaked key


def create_api_key(brand: Brand, *, name: str = "default") -> tuple[ApiKey, str]:
    """A new key for the brand. The plain key exists only in the return value."""
    prefix = secrets.token_hex(4)
    plain = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(brand=brand, name=name[:100], prefix=prefix,
                                key_hash=hash_api_key(plain))
    return key, plain


def revoke_api_key(key: ApiKey, *, now: datetime | None = None) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key
