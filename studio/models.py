"""Who may do what in which brand."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from brandguard.models import Brand


class Role(models.TextChoices):
    COPYWRITER = "copywriter", "Copywriter"
    APPROVER = "approver", "Approver"
    BRAND_MANAGER = "brand_manager", "Brand manager"


class Membership(models.Model):
    """A user's role in a brand; one row per role, so a user may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "brand", "role"], name="membership_unique_role"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.brand} · {self.get_role_display()}"


class Comment(models.Model):
    """A note on one version of a variant; the thread is read across the whole chain."""

    variant = models.ForeignKey("copygen.Variant", on_delete=models.CASCADE,
                                related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="comment_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Comment by {self.author} on #{self.variant_id}"
