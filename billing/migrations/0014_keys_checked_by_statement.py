"""The keys of the rows the monthly run writes (charges, billing states, invoices, invoice items) are checked once
per statement on PostgreSQL, without locking the rows they point at (docs/decisions.md "Keys checked once per
statement").

A foreign key checks each new row by a query of its own and locks the row it points at (`FOR KEY SHARE`, a
write to that row), so that a concurrent DELETE cannot remove it before the new row commits. For the run that
was about nine checks and locks an account (bench/RESULTS.md, session 10). Here each key becomes part of a
statement trigger that looks up the statement's distinct keys in one index scan, and the DELETE it guarded
against is handled on the other side:
- **Records are never deleted**: readings, charges and invoices (the models refuse it; now the database does
  too), so nothing can remove what an item, a charge or a state points at.
- **Accounts, meters and districts may be deleted while nothing uses them**: a DELETE of one first takes the
  `KEY_GUARD` advisory lock exclusively, which waits for every transaction that has written a checked key to
  end (each check takes it shared) and holds off new ones until the delete commits; after the DELETE, its
  rows are looked up in the checked tables and the delete is refused if one is still used, as the foreign
  key's NO ACTION did. So either the delete sees the new row, or the new row's check sees the delete.
A missing key fails with the foreign key's own SQLSTATE (23503). Checks under REPEATABLE READ or SERIALIZABLE
(which the portal does not use) lock the rows as a foreign key does, since their snapshot predates the lock.

SQLite keeps its foreign keys (`make run` never bills a million accounts); Django's state says
`db_constraint=False` for these fields either way, so no later migration adds the constraints back. TRUNCATE
is not refused (the test runner empties tables with it): it is an operator's tool, like DROP."""

import django.db.models.deletion
from django.db import migrations, models

# One advisory lock for every checked key (no other advisory lock in the project: grep before adding one).
KEY_GUARD = 7_301_001

# table, column, the table it points at, the foreign key it had (Django's name)
KEYS = [
    ("billing_charge", "account_id", "accounts_personalaccount", "billing_charge_account_id_c4951418_fk_accounts_"),
    ("billing_charge", "meter_id", "readings_meter", "billing_charge_meter_id_08f609f8_fk_readings_meter_id"),
    ("billing_charge", "reading_id", "readings_reading", "billing_charge_reading_id_68f413aa_fk_readings_reading_id"),
    ("billing_meterbillingstate", "meter_id", "readings_meter", "billing_meterbilling_meter_id_2b614c1d_fk_readings_"),
    (
        "billing_meterbillingstate",
        "last_reading_id",
        "readings_reading",
        "billing_meterbilling_last_reading_id_e555ef2a_fk_readings_",
    ),
    ("billing_invoice", "account_id", "accounts_personalaccount", "billing_invoice_account_id_71f06cf2_fk_accounts_"),
    (
        "billing_invoice",
        "district_id",
        "accounts_district",
        "billing_invoice_district_id_3dd68e18_fk_accounts_district_id",
    ),
    (
        "billing_invoiceitem",
        "invoice_id",
        "billing_invoice",
        "billing_invoiceitem_invoice_id_f74c08c6_fk_billing_invoice_id",
    ),
    (
        "billing_invoiceitem",
        "charge_id",
        "billing_charge",
        "billing_invoiceitem_charge_id_afde88a1_fk_billing_charge_id",
    ),
]
NEVER_DELETED = {
    "readings_reading": "Readings are never deleted; submit a correcting reading instead.",
    "billing_charge": "Charges are never deleted; a correction is a reversal.",
    "billing_invoice": "Invoices are never deleted; cancel one by a cancellation.",
}
# Each is led by an index on the checked table (charge_account_month_idx, charge_meter_basis_end_idx, the
# state's primary key, invoice_account_issued_idx, invoice_number_gap_free_series), so a delete's check is a probe.
DELETABLE = ["accounts_personalaccount", "readings_meter", "accounts_district"]


def _tables(keys) -> list[str]:
    return list(dict.fromkeys(keys))


# The distinct keys are gathered into an array and each is probed in the parent's primary key by a LATERAL
# subquery with LIMIT, which the planner cannot turn into a join: a probe a key whatever it guesses of the sizes
# (a join could hash or scan the whole parent table, and a 2,000-row table was scanned for 400 keys by `= ANY`;
# tests/billing/test_run_reads_bounded.py). Only when a key is missing does the query that names it run.
FUNCTIONS = rf"""
CREATE FUNCTION portal_keys_present() RETURNS trigger AS $$
DECLARE
    keys bigint[];
    found bigint;
    missing bigint;
    locking text := '';
BEGIN
    PERFORM pg_advisory_xact_lock_shared({KEY_GUARD});
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        locking := ' FOR KEY SHARE';
    END IF;
    FOR position IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows WHERE %I IS NOT NULL',
                       TG_ARGV[2 * position], TG_ARGV[2 * position]) INTO keys;
        CONTINUE WHEN keys IS NULL;
        EXECUTE format('SELECT count(*) FROM unnest($1) AS k (key), '
                       'LATERAL (SELECT FROM %I AS p WHERE p.id = k.key LIMIT 1%s) AS present',
                       TG_ARGV[2 * position + 1], locking) INTO found USING keys;
        IF found < cardinality(keys) THEN
            EXECUTE format('SELECT key FROM unnest($1) AS key WHERE NOT EXISTS (SELECT FROM %I WHERE id = key) '
                           'LIMIT 1', TG_ARGV[2 * position + 1]) INTO missing USING keys;
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key: Key (%)=(%) is not present in '
                            'table "%".', TG_TABLE_NAME, TG_ARGV[2 * position], missing, TG_ARGV[2 * position + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION portal_key_delete_waits() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({KEY_GUARD});
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION portal_keys_unused() RETURNS trigger AS $$
DECLARE
    used bigint;
BEGIN
    FOR position IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format('SELECT o.id FROM old_rows AS o, LATERAL (SELECT FROM %I AS c WHERE c.%I = o.id LIMIT 1) AS u '
                       'LIMIT 1',
                       TG_ARGV[2 * position], TG_ARGV[2 * position + 1]) INTO used;
        IF used IS NOT NULL THEN
            RAISE EXCEPTION 'update or delete on table "%" violates foreign key: Key (id)=(%) is still referenced '
                            'from table "%".', TG_TABLE_NAME, used, TG_ARGV[2 * position]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION portal_never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% (%: %)', TG_ARGV[0], TG_TABLE_NAME, OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE FUNCTION portal_id_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the id of a row of "%" does not change (%)', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'foreign_key_violation';
END $$ LANGUAGE plpgsql;
"""


def _arguments(pairs) -> str:
    return ", ".join(f"'{first}', '{second}'" for first, second in pairs)


def _postgresql_forward() -> str:
    statements = [FUNCTIONS]
    for table, message in NEVER_DELETED.items():
        statements.append(
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION portal_never_deleted('{message}');"
        )
    for table, _column, _parent, constraint in KEYS:
        statements.append(f"ALTER TABLE {table} DROP CONSTRAINT {constraint};")
    for table in _tables(key[0] for key in KEYS):
        arguments = _arguments((column, parent) for name, column, parent, _ in KEYS if name == table)
        # Transition tables allow one event a trigger: one for INSERT (COPY too), one for UPDATE.
        for event in ("INSERT", "UPDATE"):
            statements.append(
                f"CREATE TRIGGER {table}_keys_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION portal_keys_present({arguments});"
            )
    for parent in [*DELETABLE, *NEVER_DELETED]:
        statements.append(
            f"CREATE TRIGGER {parent}_id_fixed BEFORE UPDATE OF id ON {parent} FOR EACH ROW "
            f"WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION portal_id_fixed();"
        )
    for parent in DELETABLE:
        arguments = _arguments((table, column) for table, column, name, _ in KEYS if name == parent)
        statements.append(
            f"CREATE TRIGGER {parent}_delete_waits BEFORE DELETE ON {parent} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION portal_key_delete_waits();"
        )
        statements.append(
            f"CREATE TRIGGER {parent}_keys_unused AFTER DELETE ON {parent} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION portal_keys_unused({arguments});"
        )
    return "\n".join(statements)


def _postgresql_backward() -> str:
    statements = []
    for table in _tables(key[0] for key in KEYS):
        for event in ("insert", "update"):
            statements.append(f"DROP TRIGGER IF EXISTS {table}_keys_{event} ON {table};")
    for parent in DELETABLE:
        statements.append(f"DROP TRIGGER IF EXISTS {parent}_delete_waits ON {parent};")
        statements.append(f"DROP TRIGGER IF EXISTS {parent}_keys_unused ON {parent};")
    for parent in [*DELETABLE, *NEVER_DELETED]:
        statements.append(f"DROP TRIGGER IF EXISTS {parent}_id_fixed ON {parent};")
    for table in NEVER_DELETED:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_never_deleted ON {table};")
    for function in ("keys_present", "key_delete_waits", "keys_unused", "never_deleted", "id_fixed"):
        statements.append(f"DROP FUNCTION IF EXISTS portal_{function}();")
    for table, column, parent, constraint in KEYS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) REFERENCES {parent} (id) "
            f"DEFERRABLE INITIALLY DEFERRED;"
        )
    return "\n".join(statements)


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql_forward(), params=None)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql_backward(), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("billing", "0013_bounded_history_reads"),
        ("readings", "0009_conversation_held_photo"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="charge",
                    name="account",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="charges",
                        to="accounts.personalaccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="charge",
                    name="meter",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="charges",
                        to="readings.meter",
                    ),
                ),
                migrations.AlterField(
                    model_name="charge",
                    name="reading",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="charges",
                        to="readings.reading",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="account",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoices",
                        to="accounts.personalaccount",
                        verbose_name="personal account",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="district",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceitem",
                    name="charge",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="billing.charge",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceitem",
                    name="invoice",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="items",
                        to="billing.invoice",
                    ),
                ),
                migrations.AlterField(
                    model_name="meterbillingstate",
                    name="last_reading",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="readings.reading",
                    ),
                ),
                migrations.AlterField(
                    model_name="meterbillingstate",
                    name="meter",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="billing_state",
                        serialize=False,
                        to="readings.meter",
                    ),
                ),
            ],
        ),
    ]
