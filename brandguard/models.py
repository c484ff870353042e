"""Brands and their versioned guard policies: the ground floor every other app points at."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

domain_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "Enter a bare domain such as summitoutfitters.com (no scheme, no path).",
)


class Brand(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    sender_name = models.CharField(
        max_length=40,
        help_text="The name every text must carry (CTIA brand identification).",
    )
    support_contact = models.CharField(
        max_length=120, help_text="Phone, email or URL given in HELP replies."
    )
    website_domain = models.CharField(max_length=253, validators=[domain_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandPolicyQuerySet(models.QuerySet):
    def current_for(self, brand: Brand) -> BrandPolicy | None:
        return self.filter(brand=brand).order_by("-version").first()


class BrandPolicy(models.Model):
    """One immutable version of a brand's rules; a change writes a new row.

    ``rules`` holds ``brandguard.Policy.to_dict()`` (minus the brand name, which comes from
    the brand) so the pure engine and the stored form can never drift apart.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="policies")
    version = models.PositiveIntegerField()
    rules = models.JSONField(default=dict)
    # What offers generated copy may make: {"free_shipping": bool, "max_percent_off": int,
    # "percent_off_stages": [stage, ...]}. Kept beside the guard rules, versioned with them.
    offers = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["brand", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "version"], name="brandpolicy_unique_version"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="brandpolicy_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} policy v{self.version}"

    def to_policy(self):
        """The pure engine's Policy, with the brand's identity filled in from the brand."""
        from brandguard.policy import Policy

        return Policy.from_dict({
            **self.rules,
            "brand_name": self.brand.sender_name,
            "support_contact": self.brand.support_contact,
            "website_domain": self.brand.website_domain,
        })
