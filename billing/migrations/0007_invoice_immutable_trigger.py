"""A database trigger refuses any change to what an issued invoice prints, whatever path the UPDATE takes
(QuerySet.update, bulk_update, raw SQL): only the fields in INVOICE_MUTABLE_FIELDS may change."""

from django.db import migrations

# Every column but the few an issued invoice may change (billing/models/invoices.py INVOICE_MUTABLE_FIELDS).
FIXED = [
    "number",
    "district_id",
    "year",
    "sequence",
    "account_id",
    "kind",
    "billing_month",
    "issued_on",
    "due_on",
    "issued_at",
    "currency",
    "opening_balance",
    "charges_total",
    "payments_total",
    "amount_due",
    "language",
    "account_number",
    "holder_name",
    "address",
    "district_name",
    "district_phone",
    "supplier",
    "content",
    "qr_data",
    "paper_copy",
    "replaces_id",
    "run_id",
    "created_by_id",
]
MUTABLE = ["status", "paid_on", "voided_at", "void_reason", "pdf", "pdf_rendered_at", "print_batch_id"]
MESSAGE = "An issued invoice does not change; cancel it and issue a new one."

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION billing_invoice_fixed() RETURNS trigger AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY[{", ".join(f"'{c}'" for c in MUTABLE)}])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{", ".join(f"'{c}'" for c in MUTABLE)}]) THEN
        RAISE EXCEPTION '{MESSAGE} (%)', OLD.number USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_fixed BEFORE UPDATE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_fixed();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS billing_invoice_fixed ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_fixed();
"""


def sqlite_trigger(fixed) -> str:
    return f"""
CREATE TRIGGER billing_invoice_fixed BEFORE UPDATE ON billing_invoice
WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in fixed)}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""


SQLITE = sqlite_trigger(FIXED)
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS billing_invoice_fixed;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_run_notices_queued")]

    operations = [migrations.RunPython(forwards, backwards)]
