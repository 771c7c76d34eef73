"""The open items (billing/models/open_items.py): the tables, today's pending charges and payments copied in,
and the triggers that keep them from now on, whatever path writes a charge, a payment or an invoice item."""

import django.db.models.deletion
from django.db import migrations, models



# The definition the triggers keep: a charge or payment is open while no active invoice item has taken it.
BACKFILL = [
    "INSERT INTO billing_opencharge (charge_id, account_id) SELECT c.id, c.account_id FROM billing_charge c "
    "WHERE NOT EXISTS (SELECT 1 FROM billing_invoiceitem i WHERE i.charge_id = c.id AND i.active) "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO billing_openpayment (payment_id, account_id) SELECT p.id, p.account_id FROM billing_payment p "
    "WHERE NOT EXISTS (SELECT 1 FROM billing_invoiceitem i WHERE i.payment_id = p.id AND i.active) "
    "ON CONFLICT DO NOTHING",
]

# On PostgreSQL the inserts are handled a statement at a time (transition tables): the run writes a chunk's
# charges and items in one statement each, and a trigger per row would cost its call for every one. The
# items close their charges by `= ANY(ARRAY(...))`, an index probe per item whatever the planner guesses of
# a transition table's size (a hash join would read every open charge of the utility). An item cancelled
# (active -> false, the invoice voided) is rare and handled a row at a time.
POSTGRESQL = """
CREATE FUNCTION billing_charge_opens() RETURNS trigger AS $$
BEGIN
    INSERT INTO billing_opencharge (charge_id, account_id) SELECT id, account_id FROM new_rows;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_charge_opens AFTER INSERT ON billing_charge
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION billing_charge_opens();

CREATE FUNCTION billing_payment_opens() RETURNS trigger AS $$
BEGIN
    INSERT INTO billing_openpayment (payment_id, account_id) SELECT id, account_id FROM new_rows;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_payment_opens AFTER INSERT ON billing_payment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION billing_payment_opens();

CREATE FUNCTION billing_item_takes() RETURNS trigger AS $$
BEGIN
    DELETE FROM billing_opencharge WHERE charge_id = ANY (ARRAY(
        SELECT charge_id FROM new_rows WHERE active AND charge_id IS NOT NULL));
    DELETE FROM billing_openpayment WHERE payment_id = ANY (ARRAY(
        SELECT payment_id FROM new_rows WHERE active AND payment_id IS NOT NULL));
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_item_takes AFTER INSERT ON billing_invoiceitem
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION billing_item_takes();

CREATE FUNCTION billing_item_active_changes() RETURNS trigger AS $$
BEGIN
    IF OLD.active AND NOT NEW.active THEN
        INSERT INTO billing_opencharge (charge_id, account_id)
            SELECT id, account_id FROM billing_charge WHERE id = NEW.charge_id ON CONFLICT DO NOTHING;
        INSERT INTO billing_openpayment (payment_id, account_id)
            SELECT id, account_id FROM billing_payment WHERE id = NEW.payment_id ON CONFLICT DO NOTHING;
    ELSIF NEW.active AND NOT OLD.active THEN
        DELETE FROM billing_opencharge WHERE charge_id = NEW.charge_id;
        DELETE FROM billing_openpayment WHERE payment_id = NEW.payment_id;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_item_active_changes AFTER UPDATE OF active ON billing_invoiceitem
    FOR EACH ROW EXECUTE FUNCTION billing_item_active_changes();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS billing_item_active_changes ON billing_invoiceitem;
DROP TRIGGER IF EXISTS billing_item_takes ON billing_invoiceitem;
DROP TRIGGER IF EXISTS billing_payment_opens ON billing_payment;
DROP TRIGGER IF EXISTS billing_charge_opens ON billing_charge;
DROP FUNCTION IF EXISTS billing_item_active_changes();
DROP FUNCTION IF EXISTS billing_item_takes();
DROP FUNCTION IF EXISTS billing_payment_opens();
DROP FUNCTION IF EXISTS billing_charge_opens();
"""

# SQLite has triggers a row at a time only; `make run` and the SQLite leg of the tests keep the same table.
SQLITE = [
    """CREATE TRIGGER billing_charge_opens AFTER INSERT ON billing_charge BEGIN
    INSERT INTO billing_opencharge (charge_id, account_id) VALUES (NEW.id, NEW.account_id);
END""",
    """CREATE TRIGGER billing_payment_opens AFTER INSERT ON billing_payment BEGIN
    INSERT INTO billing_openpayment (payment_id, account_id) VALUES (NEW.id, NEW.account_id);
END""",
    """CREATE TRIGGER billing_item_takes AFTER INSERT ON billing_invoiceitem WHEN NEW.active BEGIN
    DELETE FROM billing_opencharge WHERE charge_id = NEW.charge_id;
    DELETE FROM billing_openpayment WHERE payment_id = NEW.payment_id;
END""",
    """CREATE TRIGGER billing_item_released AFTER UPDATE OF active ON billing_invoiceitem
WHEN OLD.active AND NOT NEW.active BEGIN
    INSERT OR IGNORE INTO billing_opencharge (charge_id, account_id)
        SELECT id, account_id FROM billing_charge WHERE id = NEW.charge_id;
    INSERT OR IGNORE INTO billing_openpayment (payment_id, account_id)
        SELECT id, account_id FROM billing_payment WHERE id = NEW.payment_id;
END""",
    """CREATE TRIGGER billing_item_retaken AFTER UPDATE OF active ON billing_invoiceitem
WHEN NEW.active AND NOT OLD.active BEGIN
    DELETE FROM billing_opencharge WHERE charge_id = NEW.charge_id;
    DELETE FROM billing_openpayment WHERE payment_id = NEW.payment_id;
END""",
]
SQLITE_TRIGGERS = ["billing_charge_opens", "billing_payment_opens", "billing_item_takes", "billing_item_released",
                   "billing_item_retaken"]


def forwards(apps, schema_editor):
    """The triggers first, then the copy, in the migration's transaction: creating a trigger locks its table
    against writes until the commit, so no charge, payment or item written while the copy runs can be missed
    by both (the copy's statements each see what committed before them)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)
    for statement in BACKFILL:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_customer_cabinet_permission'),
        ('billing', '0011_run_pointers_without_constraint'),
    ]

    operations = [
        migrations.CreateModel(
            name='OpenCharge',
            fields=[
                ('charge', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='open_item', serialize=False, to='billing.charge')),
                ('account', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.personalaccount')),
            ],
            options={
                'indexes': [models.Index(fields=['account'], name='open_charge_account_idx')],
            },
        ),
        migrations.CreateModel(
            name='OpenPayment',
            fields=[
                ('payment', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='open_item', serialize=False, to='billing.payment')),
                ('account', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.personalaccount')),
            ],
            options={
                'indexes': [models.Index(fields=['account'], name='open_payment_account_idx')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
