from django.contrib import admin

from .models import (
    Alert,
    Customer,
    DepartmentSetting,
    Handoff,
    Order,
    OrderEvent,
    OrderLine,
    OutboxMessage,
    Product,
    RoutingStep,
    Site,
    StepServiceLevel,
    UserPreference,
    WorkCenter,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tier", "credit_limit", "currency", "active"]
    list_filter = ["tier", "currency", "document_language", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["sales_rep"]


class RoutingStepInline(admin.TabularInline):
    model = RoutingStep
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    inlines = [RoutingStepInline]
    list_display = ["sku", "name", "family", "standard_cost", "list_price", "active"]
    list_filter = ["active", "family"]
    search_fields = ["sku", "name"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]
    readonly_fields = ["quantity_reserved", "quantity_shipped", "quantity_invoiced", "quantity_returned"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the order page or the API, never the admin."""

    list_display = ["number", "customer", "status", "owner_department", "created_at"]
    list_filter = ["status", "owner_department"]
    search_fields = ["number", "customer_po", "customer__name"]
    raw_id_fields = ["customer", "created_by"]
    readonly_fields = ["number", "status", "owner_department", "status_changed_at", "created_at", "created_by"]
    inlines = [OrderLineInline]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    """The event log is append-only (a database trigger refuses UPDATE and DELETE too)."""

    list_display = ["order", "action", "from_status", "to_status", "actor", "created_at"]
    raw_id_fields = ["order", "actor"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["order", "from_department", "to_department", "opened_at", "due_at", "closed_at"]
    list_filter = ["to_department"]
    raw_id_fields = ["order", "acknowledged_by"]
    show_full_result_count = False


admin.site.register(WorkCenter, list_display=["code", "name", "site", "hours_per_day", "days_per_week", "hourly_rate"])
admin.site.register(Site)
admin.site.register(StepServiceLevel)
admin.site.register(DepartmentSetting)
admin.site.register(
    Alert,
    list_display=["order", "level", "department", "raised_at", "emailed_at", "resolved_at"],
    raw_id_fields=["order", "handoff"],
)
admin.site.register(
    OutboxMessage,
    list_display=["topic", "order", "created_at", "dispatched_at", "processed_at"],
    raw_id_fields=["order"],
)

# A user's page language (normally set with the switcher; docs/i18n.md).
admin.site.register(UserPreference, list_display=["user", "language"], raw_id_fields=["user"])
