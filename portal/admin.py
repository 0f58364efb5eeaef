from django.contrib import admin

from .models import CustomerContact, PortalNotification


@admin.register(CustomerContact)
class CustomerContactAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "language", "notify_order_confirmed", "notify_shipped"]
    list_select_related = ["user", "customer"]
    raw_id_fields = ["user", "customer"]
    search_fields = ["user__username", "user__email", "customer__name", "customer__code"]


@admin.register(PortalNotification)
class PortalNotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "contact", "created_at", "sent_at"]
    list_filter = ["kind"]
    raw_id_fields = ["contact", "order"]
