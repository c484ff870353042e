from django.contrib import admin

from brandguard.models import Brand, BrandPolicy


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sender_name", "website_domain")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(BrandPolicy)
class BrandPolicyAdmin(admin.ModelAdmin):
    """Policies are versioned: saving in the admin always writes a new version."""

    list_display = ("brand", "version", "created_by", "created_at", "note")
    list_filter = ("brand",)
    readonly_fields = ("version", "created_by", "created_at")

    def save_model(self, request, obj, form, change):
        from brandguard.services import save_policy_version

        saved = save_policy_version(obj.brand, rules=obj.rules, by=request.user, note=obj.note)
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None):
        return False
