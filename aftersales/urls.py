from django.urls import path

from . import views

app_name = "aftersales"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/visits/", views.visit_schedule, name="visit_schedule"),
    path("tickets/<int:ticket_id>/close/", views.ticket_close, name="ticket_close"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/<int:report_id>/seen/", views.feedback_seen, name="feedback_seen"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/generate/", views.plans_generate, name="plans_generate"),
]
