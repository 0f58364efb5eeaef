"""Demo billing on top of `seed_shipments`: finance posts the invoices drafted from the demo
shipments (those whose checks pass), the customers pay half of them, and one posted invoice is
corrected by a credit note — so the receivables, DSO and billing-accuracy figures have data.
Does nothing once any invoice is posted."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from billing import services
from billing.models import Invoice
from orders.errors import DomainError


class Command(BaseCommand):
    help = "Post the demo draft invoices, record payments for half of them and one credit note."

    def handle(self, *args, **options):
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
