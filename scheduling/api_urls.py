from django.urls import path

from . import api

urlpatterns = [
    path("board/", api.BoardView.as_view(), name="scheduling-board"),
    path("jobs/", api.JobList.as_view(), name="scheduling-jobs"),
    path("jobs/<int:pk>/", api.JobDetail.as_view(), name="scheduling-job"),
    path("jobs/<int:pk>/move/", api.JobMove.as_view(), name="scheduling-job-move"),
    path("jobs/<int:pk>/unschedule/", api.JobUnschedule.as_view(), name="scheduling-job-unschedule"),
    path("jobs/<int:pk>/start/", api.JobStart.as_view(), name="scheduling-job-start"),
    path("jobs/<int:pk>/finish/", api.JobFinish.as_view(), name="scheduling-job-finish"),
    path("auto-schedule/", api.AutoSchedule.as_view(), name="scheduling-auto-schedule"),
    path("expedites/", api.ExpediteListCreate.as_view(), name="scheduling-expedites"),
    path("expedites/<int:pk>/", api.ExpediteDetail.as_view(), name="scheduling-expedite"),
    path("expedites/<int:pk>/approve/", api.ExpediteApprove.as_view(), name="scheduling-expedite-approve"),
    path("expedites/<int:pk>/decline/", api.ExpediteDecline.as_view(), name="scheduling-expedite-decline"),
    path("calendar/", api.CalendarListCreate.as_view(), name="scheduling-calendar"),
    path("calendar/<int:pk>/", api.CalendarDetail.as_view(), name="scheduling-calendar-detail"),
    path("events/", api.RescheduleEventList.as_view(), name="scheduling-events"),
]
