"""The run pointers of charges and invoices lose their database constraint (docs/decisions.md "The run
pointers"): on PostgreSQL two `DROP CONSTRAINT`s. SQLite rebuilds both tables to alter them, which drops the
invoice guard trigger: it is made again after (and after the rebuild of a rollback), as 0009 does."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

guard = importlib.import_module("billing.migrations.0009_fewer_indexes_on_write_path")


def invoice_guard_again(apps, schema_editor) -> None:
    guard.sqlite_invoice_guard_again(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_basis_and_zone_choice_labels"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, invoice_guard_again),
        migrations.AlterField(
            model_name="charge",
            name="run",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="charges",
                to="billing.billingrun",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="run",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invoices",
                to="billing.billingrun",
            ),
        ),
        migrations.RunPython(invoice_guard_again, migrations.RunPython.noop),
    ]
