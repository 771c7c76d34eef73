"""Experiment: what the run's foreign-key checks cost against set-based checks of the same rows (issue 19).

    python bench/key_checks.py [--accounts 50000] [--chunk 5000] [--set-based]

Generates bench/billing_run.py's data and bills both passes in this process (2 lanes), as that bench does.
With `--set-based`, first replaces every foreign key the run's writes are checked by (on the charges,
billing states, invoices and invoice items) with statement-level triggers over the statement's new rows:
an anti-join that refuses a missing referenced row, and a `FOR KEY SHARE` lock of the referenced rows, as
the per-row check takes. A measurement only, on the bench's throwaway database: nothing here is the
portal's schema, and the delete side (a referenced row deleted while referenced) is not replaced. Run it
both ways, alternated, and compare PostgreSQL's CPU. Prints; appends nothing.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.billing_run import MONTH, generate, run_pass  # noqa: E402

TABLES = ("billing_charge", "billing_meterbillingstate", "billing_invoice", "billing_invoiceitem")

FOREIGN_KEYS = """
SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
  JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
 WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
 ORDER BY 2, 3
"""

CHECK = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n WHERE n.{column} IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{target_column} = n.{column})) THEN
    RAISE EXCEPTION 'insert or update on table "{table}" violates set-based key check {name}'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  {lock}
  RETURN NULL;
END $$;
CREATE TRIGGER {name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_update AFTER UPDATE ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


LOCK = "PERFORM 1 FROM {target} t WHERE t.{target_column} IN (SELECT n.{column} FROM new_rows n) FOR KEY SHARE OF t;"


def set_based_key_checks(lock: bool = True) -> list[str]:
    """Replace the foreign keys of TABLES by statement-level checks; returns what was replaced. `lock=False`
    leaves out the referenced rows' locks (which keep a concurrent delete out), to price them apart."""
    replaced = []
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS, [list(TABLES)])
        for constraint, table, column, target, target_column in cursor.fetchall():
            name = f"setkey_{constraint}"[:60]
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            names = {"name": name, "table": table, "column": column, "target": target, "target_column": target_column}
            cursor.execute(CHECK.format(**names, lock=LOCK.format(**names) if lock else ""))
            replaced.append(f"{table}.{column} -> {target}")
    _refuses_a_missing_invoice()
    return replaced


def _refuses_a_missing_invoice() -> None:
    """The replacement still guards: an item of an invoice that does not exist is refused."""
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_invoiceitem (invoice_id, charge_id, payment_id, active) "
                "VALUES (-1, -2, NULL, false)"
            )
    except IntegrityError as error:
        assert "set-based key check" in str(error), error
    else:
        raise AssertionError("an item of a missing invoice was stored")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--set-based", action="store_true")
    parser.add_argument("--no-lock", action="store_true", help="with --set-based: no FOR KEY SHARE of the rows")
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        generate(args.accounts)
        if args.set_based:
            print("replaced:", ", ".join(set_based_key_checks(lock=not args.no_lock)))
        options = {"chunk": args.chunk, "workers": [], "profile": False, "lanes": 2}
        results = [
            run_pass("actual", MONTH.replace(month=11, day=3), **options),
            run_pass("final", MONTH.replace(month=11, day=4), **options),
        ]
    finally:
        teardown_databases(databases, verbosity=0)
    label = ("set-based" + (" without locks" if args.no_lock else "")) if args.set_based else "foreign keys"
    for name, result in zip(("actual", "final"), results, strict=True):
        print(
            f"{label} pass {name}: {result['seconds']:.2f} s wall, "
            f"Python {result['python_cpu']:.2f} + PostgreSQL {result['database_cpu']:.2f} CPU-s, "
            f"machine {result['machine_cpu']:.2f}"
        )


if __name__ == "__main__":
    main()
