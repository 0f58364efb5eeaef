from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import Customer, Order, OrderLine, Product, Site
from orders.states import OWNER_DEPARTMENT, OrderStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            # get_or_create: transactional tests flush the groups the data migration made
            self.groups.add(Group.objects.get_or_create(name=str(role))[0])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    credit_limit = Decimal("100000.00")
    currency = "EUR"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    standard_cost = Decimal("60.00")
    list_price = Decimal("100.00")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"Site {n}")


class OrderFactory(factory.django.DjangoModelFactory):
    """An order sitting in `status` (built directly, as a fixture; real moves go through services)."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T-{n:07d}")
    customer = factory.SubFactory(CustomerFactory)
    currency = "EUR"
    status = OrderStatus.DRAFT
    owner_department = factory.LazyAttribute(lambda o: OWNER_DEPARTMENT[o.status])
    status_changed_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity_ordered = Decimal("10")
    unit_price = Decimal("100.00")
