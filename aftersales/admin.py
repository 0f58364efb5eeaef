from django.contrib import admin

from .models import (
    FeedbackTag,
    MaintenancePlan,
    ServiceLevel,
    Skill,
    Technician,
    Ticket,
    Visit,
    VisitReport,
    WarrantyTerm,
)

admin.site.register(Skill)
admin.site.register(FeedbackTag)
admin.site.register(ServiceLevel)


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "active"]
    filter_horizontal = ["skills"]


@admin.register(WarrantyTerm)
class WarrantyTermAdmin(admin.ModelAdmin):
    list_display = ["product", "family", "months"]
    raw_id_fields = ["product"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "kind", "priority", "status", "warranty", "due_at"]
    list_filter = ["status", "kind", "priority", "warranty"]
    search_fields = ["number", "subject", "customer__name"]
    raw_id_fields = ["customer", "order", "order_line"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["scheduled_for", "customer", "kind", "technician", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["customer", "ticket", "plan"]


@admin.register(VisitReport)
class VisitReportAdmin(admin.ModelAdmin):
    list_display = ["visit", "hours", "created_at", "feedback_seen_at"]
    raw_id_fields = ["visit"]


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    list_display = ["customer", "description", "interval_days", "start_date", "active", "generated_until"]
    raw_id_fields = ["customer", "order", "product"]
