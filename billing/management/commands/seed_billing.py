"""Demo billing on top of `seed_shipments`: finance posts the invoices drafted from the demo
shipments (those whose checks pass), the customers pay half of them, and one posted invoice is
corrected by a credit note — so the receivables, DSO and billing-accuracy figures have data.
Does nothing once any invoice is posted.

--bulk: every invoiced demo order gets its posted invoices (and credit notes, disputes and
payments) at once, set-based from its events (billing/bulk.py; for 100,000+ orders). Orders that
have invoices are skipped, so a second run does nothing."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from billing import services
from billing.bulk import invoices_bulk_seed
from billing.models import Invoice
from orders import bulk
from orders.errors import DomainError


class Command(BaseCommand):
    help = "Post the demo draft invoices, record payments for half of them and one credit note."

    def add_arguments(self, parser):
        bulk.add_arguments(parser)

    def handle(self, *args, **options):
        if options["bulk"]:
            bulk.command_run(self, invoices_bulk_seed, facts=not options["no_facts"])
            return
        if Invoice.objects.filter(status=Invoice.Status.POSTED).exists():
            self.stdout.write("Posted invoices exist already; nothing done.")
            return
        finance = get_user_model().objects.filter(username="finance").first()
        if finance is None:
            self.stdout.write("No demo 'finance' user; run seed_demo first.")
            return
        drafts = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.DRAFT).order_by("pk")
        if not drafts.exists():
            self.stdout.write("No draft invoices yet (they are drafted by the hand-off after shipping).")
            return
        posted = []
        for draft in drafts:
            try:
                posted.append(services.invoice_post(invoice_id=draft.pk, user=finance))
            except DomainError as error:
                self.stdout.write(f"Left {draft.pk} in review: {error}")
        for invoice in posted[::2]:
            services.payment_record(
                customer=invoice.customer,
                amount=invoice.total,
                currency=invoice.currency,
                received_on=timezone.localdate(),
                user=finance,
                reference=f"Bank transfer {invoice.number}",
                invoice_ids=[invoice.pk],
            )
        corrected = next((invoice for invoice in posted[1::2]), None)
        if corrected is not None:
            line = corrected.lines.order_by("pk").first()
            price_difference = (line.unit_price / 10).quantize(line.unit_price)
            services.credit_note_issue(
                invoice_id=corrected.pk,
                user=finance,
                reason="Price difference agreed with the customer",
                lines={line.pk: {"quantity": line.quantity, "unit_price": price_difference}},
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Posted {len(posted)} invoices, {len(posted[::2])} paid, {1 if corrected else 0} credit note."
            )
        )
