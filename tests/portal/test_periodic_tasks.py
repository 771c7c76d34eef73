"""Beat entries are created once and never overwrite what staff changed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_setup_periodic_tasks_is_idempotent_and_keeps_staff_changes():
    call_command("setup_periodic_tasks", stdout=StringIO())
    task = PeriodicTask.objects.get(name="Outbox: resend overdue emails")
    assert task.task == "accounts.tasks.email_requeue_overdue" and task.interval.every == 5
    task.enabled = False
    task.save()
    out = StringIO()
    call_command("setup_periodic_tasks", stdout=out)
    assert "0 created" in out.getvalue()
    assert PeriodicTask.objects.filter(name="Outbox: resend overdue emails").count() == 1
    assert PeriodicTask.objects.get(name="Outbox: resend overdue emails").enabled is False


def test_the_scheduled_task_exists_in_the_celery_app():
    from portal.celery import app

    app.loader.import_default_modules()
    assert "accounts.tasks.email_requeue_overdue" in app.tasks
    assert "accounts.tasks.email_send" in app.tasks


def test_billing_passes_run_on_the_3rd_and_4th_at_two_in_kyiv():
    call_command("setup_periodic_tasks", stdout=StringIO())
    actual = PeriodicTask.objects.get(name="Billing: pass actual (the 3rd)")
    final = PeriodicTask.objects.get(name="Billing: pass final (the 4th)")
    assert (actual.crontab.day_of_month, actual.crontab.hour, str(actual.crontab.timezone)) == ("3", "2", "Europe/Kyiv")
    assert final.crontab.day_of_month == "4" and final.kwargs == '{"pass_name": "final"}'
