"""Planning rows built directly, for given-state fixtures (past months cannot be entered through
the services: a month closes when it begins)."""

from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import RoutingStep, WorkCenter
from planning.models import Consensus, Forecast, ForecastVersion, Source

from .factories import ProductFactory


class ForecastFactory(factory.django.DjangoModelFactory):
    """A current figure with its one version."""

    class Meta:
        model = Forecast
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    source = Source.SALES
    quantity = Decimal("100")
    version = 1
    updated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def with_version(self, create, extracted, **kwargs):
        if create:
            ForecastVersion.objects.create(
                forecast=self, version=self.version, quantity=self.quantity, created_at=self.updated_at
            )


class ConsensusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consensus

    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("100")
    rationale = "Agreed in the monthly S&OP meeting"
    set_at = factory.LazyFunction(timezone.now)


class WorkCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkCenter

    code = factory.Sequence(lambda n: f"WC{n:03d}")
    name = factory.Sequence(lambda n: f"Work center {n}")
    hours_per_day = Decimal("8")
    days_per_week = 5


class RoutingStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingStep

    product = factory.SubFactory(ProductFactory)
    sequence = factory.Sequence(lambda n: (n + 1) * 10)
    work_center = factory.SubFactory(WorkCenterFactory)
    hours_per_unit = Decimal("0.5")
