from celery import shared_task

from . import services


@shared_task(name="fulfillment.tasks.backorders_retry", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def backorders_retry(product_id: int) -> int:
    return services.backorders_retry(product_id=product_id)
