from django.contrib import admin

from .models import CapacityException, ExpediteRequest, Job, RescheduleEvent


@admin.register(CapacityException)
class CapacityExceptionAdmin(admin.ModelAdmin):
    list_display = ["work_center", "day", "kind", "hours", "note"]
    list_filter = ["kind", "work_center"]
    date_hierarchy = "day"


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "sequence", "work_center", "hours", "state", "scheduled_day", "finish_day"]
    list_filter = ["state", "work_center"]
    raw_id_fields = ["order", "order_line", "routing_step"]

    # Jobs move only through scheduling.services (capacity, versions, order moves).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExpediteRequest)
class ExpediteRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "customer", "requested_by", "needed_by", "status", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["order", "customer"]


@admin.register(RescheduleEvent)
class RescheduleEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "order", "requested_by", "actor", "jobs_pushed", "overtime_hours"]
    list_filter = ["kind"]
    raw_id_fields = ["order", "customer", "job", "expedite"]
