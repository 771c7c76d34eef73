"""`manage.py setup_periodic_tasks`: create the portal's Celery beat entries if they are missing.

Idempotent, and it never overwrites what staff changed in the admin (schedule, enabled flag): entries
are looked up by name and created only when absent. Run on every deploy and by `make run`.
"""

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

# name -> (task, every N minutes, description)
INTERVAL_TASKS = {
    "Outbox: resend overdue emails": (
        "accounts.tasks.email_requeue_overdue",
        5,
        "Queues again every outbox email whose retry is overdue (a lost task or a restarted broker).",
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
        self.stdout.write(f"Periodic tasks ready ({created} created, {len(INTERVAL_TASKS) - created} already there).")
