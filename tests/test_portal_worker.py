"""On a real Celery worker: the customer's "order confirmed" and "shipped" emails go out through
the outbox and Redis, once each."""

import contextlib

import pytest

from orders.models import OutboxMessage
from orders.states import OrderStatus
from portal.models import PortalNotification

from .portal_support import PortalWorld
from .test_worker import _wait_for, celery_worker_process  # noqa: F401 - the fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _no_capture(execute=True):
    return contextlib.nullcontext()  # transactional test: after-commit work really runs after commit


def test_confirmed_and_shipped_emails_are_sent_once_by_the_worker(celery_worker_process, user_with):  # noqa: F811
    world = PortalWorld(user_with, _no_capture)
    world.contact.language = "it"
    world.contact.save()
    order = world.shop.order(customer=world.customer)
    assert _wait_for(lambda: order.__class__.objects.filter(pk=order.pk, status=OrderStatus.READY_TO_SHIP).exists())
    world.shop.ship(order)

    def sent(kind):
        return PortalNotification.objects.filter(kind=kind, contact=world.contact, sent_at__isnull=False)

    assert _wait_for(lambda: sent("order_confirmed").exists() and sent("shipped").exists()), "the worker sent nothing"
    assert _wait_for(lambda: not OutboxMessage.objects.filter(processed_at__isnull=True).exists())
    confirmed = sent("order_confirmed").get()
    # in the contact's language
    assert confirmed.subject == f"Il tuo ordine {order.number} è confermato" and confirmed.attempts == 1
    assert sent("shipped").get().order_id == order.pk
    assert not PortalNotification.objects.filter(contact=world.other_contact).exists()
