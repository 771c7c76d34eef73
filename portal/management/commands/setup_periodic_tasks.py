"""`manage.py setup_periodic_tasks`: create the portal's Celery beat entries if they are missing.

Idempotent, and it never overwrites what staff changed in the admin (schedule, enabled flag): entries
are looked up by name and created only when absent. Run on every deploy and by `make run`.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

# name -> (task, every N minutes, description)
INTERVAL_TASKS = {
    "Outbox: resend overdue emails": (
        "accounts.tasks.email_requeue_overdue",
        5,
        "Queues again every outbox email whose retry is overdue (a lost task or a restarted broker).",
    ),
    "Invoices: render missing PDFs": (
        "billing.tasks.invoices_render_missing",
        5,
        "Queues the PDFs of invoices that have none a few minutes after issue (a lost task or a broker outage).",
    ),
    "Billing: resume stalled runs": (
        "billing.tasks.billing_runs_resume",
        5,
        "Queues again the pending chunks of a run with no progress for BILLING_RUN_STALE_SECONDS (a lost worker).",
    ),
    "Invoices: restart print batches": (
        "billing.tasks.print_batches_waiting",
        5,
        "Builds print batches again when paper invoices wait and no batch was built for 10 minutes.",
    ),
    "Billing: queue missed estimate notices": (
        "billing.tasks.estimate_notices_missing",
        5,
        "Queues the estimate notices of a final pass whose notices were never queued (a broker outage).",
    ),
    "API: purge old idempotency records": (
        "portal.tasks.idempotency_records_purge_task",
        60,
        "Deletes Idempotency-Key records older than IDEMPOTENCY_RETENTION_HOURS (48 h): retries come within minutes.",
    ),
    "Readings: queue missed decision notices": (
        "readings.tasks.reading_decision_notices_missing",
        5,
        "Emails staff decisions of the last day whose notice was never queued (a broker outage).",
    ),
    "Readings: delete photos held but never sent": (
        "readings.tasks.held_photos_purge",
        60,
        "Deletes photos the reading form read numbers from when no reading was sent within READING_PHOTO_HOLD_SECONDS.",
    ),
}


# name -> (task, day of month, kwargs, description); at 02:00 in the portal's time zone.
MONTHLY_TASKS = {
    "Billing: pass actual (the 3rd)": (
        "billing.tasks.billing_pass_scheduled",
        "3",
        {"pass_name": "actual"},
        "Charges last month's meters that have a reading for it.",
    ),
    "Billing: pass final (the 4th)": (
        "billing.tasks.billing_pass_scheduled",
        "4",
        {"pass_name": "final"},
        "Estimates every other meter for last month (average, then norm) and closes the month.",
    ),
}


# name -> (task, hour, description); every day at that hour in the portal's time zone.
DAILY_TASKS = {
    "Reminders: pass your reading (daily)": (
        "readings.tasks.reminders_daily",
        "9",
        "Emails customers of districts whose window opens today or closes tomorrow, for meters without a reading.",
    ),
}


class Command(BaseCommand):
    help = "Create the portal's periodic tasks (django-celery-beat) that do not exist yet."

    def handle(self, *args, **options):
        created = 0
        for name, (task, minutes, description) in INTERVAL_TASKS.items():
            schedule, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
            _, was_created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, "interval": schedule, "description": description}
            )
            created += was_created
        for name, (task, day, kwargs, description) in MONTHLY_TASKS.items():
            schedule, _ = CrontabSchedule.objects.get_or_create(
                minute="0", hour="2", day_of_month=day, month_of_year="*", day_of_week="*", timezone=settings.TIME_ZONE
            )
            _, was_created = PeriodicTask.objects.get_or_create(
                name=name,
                defaults={"task": task, "crontab": schedule, "kwargs": json.dumps(kwargs), "description": description},
            )
            created += was_created
        for name, (task, hour, description) in DAILY_TASKS.items():
            schedule, _ = CrontabSchedule.objects.get_or_create(
                minute="0", hour=hour, day_of_month="*", month_of_year="*", day_of_week="*", timezone=settings.TIME_ZONE
            )
            _, was_created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, "crontab": schedule, "description": description}
            )
            created += was_created
        total = len(INTERVAL_TASKS) + len(MONTHLY_TASKS) + len(DAILY_TASKS)
        self.stdout.write(f"Periodic tasks ready ({created} created, {total - created} already there).")
