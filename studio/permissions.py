"""The one place that decides who may do what. Every view and API call goes through here.

Roles are checked on the server for every request; templates only use ``roles`` to hide
what a user cannot do, never as the enforcement.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from brandguard.models import Brand
from studio.models import Membership, Role

# What each action needs. One table, so a reviewer can read the whole policy at once.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(Role.values),
    "generate": frozenset({Role.COPYWRITER, Role.BRAND_MANAGER}),
    "edit": frozenset({Role.COPYWRITER, Role.BRAND_MANAGER}),
    "submit": frozenset({Role.COPYWRITER, Role.BRAND_MANAGER}),
    "comment": frozenset(Role.values),
    "approve": frozenset({Role.APPROVER}),
    "reject": frozenset({Role.APPROVER}),
    "request_changes": frozenset({Role.APPROVER}),
    "retire": frozenset({Role.APPROVER, Role.BRAND_MANAGER}),
    "manage_policy": frozenset({Role.BRAND_MANAGER}),
    "manage_guidelines": frozenset({Role.BRAND_MANAGER}),
    "view_audit": frozenset(Role.values),
    "view_performance": frozenset(Role.values),
    "manage_api_keys": frozenset({Role.BRAND_MANAGER}),
    "view_contacts": frozenset(Role.values),
    "manage_contacts": frozenset({Role.BRAND_MANAGER}),
    "manage_webhooks": frozenset({Role.BRAND_MANAGER}),
    "manage_delivery": frozenset({Role.BRAND_MANAGER}),
    "manage_journeys": frozenset({Role.BRAND_MANAGER}),
}

# Each action in the words of the 403 page: what it is, and who may do it.
ACTION_WORDS: dict[str, str] = {
    "view": "see this brand",
    "generate": "generate variants",
    "edit": "edit variants",
    "submit": "submit variants for review",
    "comment": "comment on variants",
    "approve": "approve variants",
    "reject": "reject variants",
    "request_changes": "send variants back for changes",
    "retire": "retire approved variants",
    "manage_policy": "change the brand's guardrails",
    "manage_guidelines": "upload guideline documents",
    "view_audit": "read the audit trail",
    "view_performance": "see performance",
    "manage_api_keys": "create or revoke API keys",
}


def action_sentence(action: str) -> str:
    """"Changing the brand's guardrails is for brand managers." for the 403 page."""
    what = ACTION_WORDS.get(action, action.replace("_", " "))
    roles = [Role(role).label.lower() + "s" for role in Role.values
             if role in ACTION_ROLES.get(action, frozenset())]
    who = " and ".join(roles) if roles else "nobody in this brand"
    return f"Only {who} can {what}."


class ActionDenied(PermissionDenied):
    """A role that does not allow ``action``; the 403 page turns it into plain words."""

    def __init__(self, access: BrandAccess, action: str):
        super().__init__(action_sentence(action))
        self.access, self.action = access, action


@dataclass(frozen=True)
class BrandAccess:
    brand: Brand
    roles: frozenset[str]

    def can(self, action: str) -> bool:
        return bool(ACTION_ROLES[action] & self.roles)

    @property
    def allowed(self) -> frozenset[str]:
        """Every action the user may take here; templates test ``'approve' in access.allowed``
        to hide controls (the server still checks each request)."""
        return frozenset(action for action in ACTION_ROLES if self.can(action))


def roles_for(user, brand: Brand) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(
        Membership.objects.filter(user=user, brand=brand).values_list("role", flat=True)
    )


def brands_for(user):
    return Brand.objects.filter(memberships__user=user).distinct().order_by("name")


def get_brand_access(user, slug: str, action: str = "view") -> BrandAccess:
    """The brand by slug if the user belongs to it (404 otherwise, so outsiders learn
    nothing), and 403 if the user's roles do not allow ``action``."""
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None:
        raise Http404("No such brand")
    roles = roles_for(user, brand)
    if not roles:
        raise Http404("No such brand")
    access = BrandAccess(brand=brand, roles=roles)
    require(access, action)
    return access


def require(access: BrandAccess, action: str) -> None:
    if not access.can(action):
        raise ActionDenied(access, action)
