from django.contrib import admin

from studio.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "brand", "role", "created_at")
    list_filter = ("brand", "role")
    search_fields = ("user__username", "brand__name")
