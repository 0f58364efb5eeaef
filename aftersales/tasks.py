from celery import shared_task

from . import services


@shared_task(name="aftersales.tasks.maintenance_visits_generate", soft_time_limit=300, time_limit=360)
def maintenance_visits_generate() -> int:
    """Periodic (beat): create the maintenance visits coming due. Idempotent."""
    return services.maintenance_visits_generate()
