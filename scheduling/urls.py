from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("", views.board, name="board"),
    path("auto/", views.auto_schedule, name="auto_schedule"),
    path("jobs/<int:job_id>/start/", views.job_start, name="job_start"),
    path("jobs/<int:job_id>/finish/", views.job_finish, name="job_finish"),
    path("expedites/", views.expedite_list, name="expedite_list"),
    path("expedites/new/", views.expedite_create, name="expedite_create"),
    path("expedites/<int:request_id>/", views.expedite_detail, name="expedite_detail"),
    path("expedites/<int:request_id>/approve/", views.expedite_approve, name="expedite_approve"),
    path("expedites/<int:request_id>/decline/", views.expedite_decline, name="expedite_decline"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/set/", views.calendar_set, name="calendar_set"),
    path("calendar/<int:exception_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("events/", views.event_list, name="event_list"),
]
