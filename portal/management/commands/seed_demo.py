"""`manage.py seed_demo [--today YYYY-MM-DD]`: load the demo data; safe to run any number of times."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.demo import CUSTOMER_EMAIL, DEMO_PASSWORD, STAFF_EMAIL, demo_billing_history, demo_data_load


class Command(BaseCommand):
    help = "Load demo districts, accounts, meters, reading history and the demo logins (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date the history ends at (default: today, Kyiv time)")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--today must be YYYY-MM-DD: {error}") from error
        created = demo_data_load(today=today)
        self.stdout.write(
            f"Demo data ready (created now: {created.districts} districts, {created.accounts} accounts, "
            f"{created.meters} meters, {created.readings} readings, {created.users} users)."
        )
        runs = demo_billing_history(today=today)
        self.stdout.write(f"Billing history: {runs} passes run now (closed months only).")
        self.stdout.write(f"Customer: {CUSTOMER_EMAIL} / {DEMO_PASSWORD}   Staff: {STAFF_EMAIL} / {DEMO_PASSWORD}")
