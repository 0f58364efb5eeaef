from django.urls import path

from . import ops_views

app_name = "ops"

urlpatterns = [
    path("stuck/", ops_views.stuck_work, name="stuck_work"),
    path("stuck/outbox/<int:message_id>/retry/", ops_views.outbox_retry, name="outbox_retry"),
    path("stuck/failures/<int:failure_id>/retry/", ops_views.task_failure_retry, name="task_failure_retry"),
    path("import/", ops_views.import_start, name="import"),
    path("import/<slug:token>/", ops_views.import_confirm, name="import_confirm"),
]
