from django.db import migrations

# A posted invoice or credit note is a legal document: the database refuses to delete it or to
# change what it says, and refuses any change to its lines. What may still change is the
# bookkeeping around it: payments and credits received, sent/reminded/disputed/paid times, and
# posted_by going NULL when that user account is deleted. Corrections are credit notes.
# PostgreSQL only: SQLite (make run without a server) relies on the services and the model.
MUTABLE = ["amount_paid", "amount_credited", "paid_at", "sent_at", "reminded_at", "disputed_at", "posted_by_id"]
FORWARD = """
CREATE OR REPLACE FUNCTION omc_invoice_posted_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'posted' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - MUTABLE_COLUMNS) = (to_jsonb(OLD) - MUTABLE_COLUMNS)
       AND (NEW.posted_by_id IS NULL OR NEW.posted_by_id = OLD.posted_by_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'posted invoice % is append-only: % refused (corrections are credit notes)', OLD.number, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS invoice_posted_immutable ON billing_invoice;
CREATE TRIGGER invoice_posted_immutable BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION omc_invoice_posted_immutable();

CREATE OR REPLACE FUNCTION omc_invoiceline_posted_immutable() RETURNS trigger AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN invoice_ids := ARRAY[NEW.invoice_id];
    ELSIF TG_OP = 'DELETE' THEN invoice_ids := ARRAY[OLD.invoice_id];
    ELSE invoice_ids := ARRAY[OLD.invoice_id, NEW.invoice_id];
    END IF;
    IF EXISTS (SELECT 1 FROM billing_invoice WHERE id = ANY(invoice_ids) AND status = 'posted') THEN
        RAISE EXCEPTION 'the lines of a posted invoice are append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS invoiceline_posted_immutable ON billing_invoiceline;
CREATE TRIGGER invoiceline_posted_immutable BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION omc_invoiceline_posted_immutable();
""".replace("MUTABLE_COLUMNS", "ARRAY[" + ", ".join(f"'{name}'" for name in MUTABLE) + "]::text[]")
BACKWARD = """
DROP TRIGGER IF EXISTS invoice_posted_immutable ON billing_invoice;
DROP TRIGGER IF EXISTS invoiceline_posted_immutable ON billing_invoiceline;
DROP FUNCTION IF EXISTS omc_invoice_posted_immutable();
DROP FUNCTION IF EXISTS omc_invoiceline_posted_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_invoice_dashboard_indexes")]

    operations = [migrations.RunPython(forward, backward)]
