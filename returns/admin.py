from django.contrib import admin

from .models import Claim, ClaimLine, ReturnAuthorization, ReturnLine, ReturnPolicy


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = ["days_since_delivery", "approval_hours", "refund_hours", "updated_at"]


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    raw_id_fields = ["order_line"]


@admin.register(ReturnAuthorization)
class ReturnAuthorizationAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "status", "reason", "resolution", "created_at"]
    list_filter = ["status", "reason", "resolution"]
    search_fields = ["number", "customer__name"]
    raw_id_fields = ["customer", "replacement_order"]
    inlines = [ReturnLineInline]


class ClaimLineInline(admin.TabularInline):
    model = ClaimLine
    extra = 0
    raw_id_fields = ["order_line"]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "kind", "status", "invoice_number", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["number", "invoice_number", "customer__name"]
    raw_id_fields = ["customer", "order"]
    inlines = [ClaimLineInline]
