"""Demo customer portal on top of `seed_demo`: the contact `customer` and orders that went through
every step (shipped with tracking, invoiced, a moved promise)."""

from django.core.management.base import BaseCommand

from portal.demo import USERNAME, seed_portal


class Command(BaseCommand):
    help = "Create the demo customer contact and its orders (nothing to do once done)."

    def handle(self, *args, **options):
        result = seed_portal()
        if result is None:
            self.stdout.write("No demo company yet; run seed_demo first.")
        elif not result.orders:
            self.stdout.write(f"The portal demo exists: {USERNAME} at {result.contact.customer.name}.")
        else:
            numbers = ", ".join(order.number for order in result.orders)
            self.stdout.write(f"Portal contact {USERNAME} at {result.contact.customer.name}; orders {numbers}.")
