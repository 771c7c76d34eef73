"""Two reads of the run bounded by the chunk's work instead of the accounts' history (docs/decisions.md "The run's
reads of history"): the reading an actual charge started from is looked up by (meter, basis, span end), which
replaces (meter, basis) (every lookup it served keeps its prefix); whether an account has an unexpired invoice
by (account, due date). Plain index statements on both databases: no table is rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_open_items"),
    ]

    operations = [
        # The new index first: the meter's foreign-key lookups always have one.
        migrations.AddIndex(
            model_name="charge",
            index=models.Index(fields=["meter", "basis", "span_end"], name="charge_meter_basis_end_idx"),
        ),
        migrations.RemoveIndex(
            model_name="charge",
            name="charge_meter_basis_idx",
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["account", "due_on"], name="invoice_account_due_idx"),
        ),
    ]
