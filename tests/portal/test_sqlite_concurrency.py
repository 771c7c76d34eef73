"""`make run` on SQLite serves customers while its worker writes: no "database is locked".

A real Celery worker (two processes) renders invoice PDFs on a temporary SQLite file, as `make run`'s worker
does after a billing pass, while a second process answers the customer's web requests for invoice PDFs, which
render and save too when the worker has not got to them yet. Each render reads, lays out for a while, then
writes, inside one transaction: the pattern that failed at once with "database is locked" before the SQLite
settings (WAL, a busy timeout, immediate transactions).
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SERVICE_VARIABLES = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")

# The "web" side: the customer's browser asks for invoice PDFs through Django's full request stack while the
# worker renders the others; it prints what the customer got.
WEB_SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.test import Client
from accounts.models import User
from billing.models import Invoice
from billing.tasks import invoices_render

queue = sys.argv[1]
customer = User.objects.get(email="demo@example.com")
theirs = list(Invoice.objects.filter(account__links__user=customer).order_by("-pk")[:8])
others = list(Invoice.objects.exclude(account__links__user=customer).order_by("pk").values_list("pk", flat=True)[:36])
for start in range(0, len(others), 3):
    invoices_render.apply_async([others[start : start + 3]], queue=queue)
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
client.force_login(customer)
answers = []
for invoice in theirs:
    response = client.get(f"/ru/cabinet/accounts/{invoice.account_number}/invoices/{invoice.number}/pdf/")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    answers.append([response.status_code, response.get("Content-Type"), body[:5].decode("latin-1")])
deadline = time.monotonic() + 240
while Invoice.objects.filter(pk__in=others, pdf="").exists() and time.monotonic() < deadline:
    time.sleep(1)
print(json.dumps({"answers": answers, "left": Invoice.objects.filter(pk__in=others, pdf="").count()}))
"""


def sqlite_env(tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}", DJANGO_SETTINGS_MODULE="portal.settings.test")
    return env


def test_worker_rendering_pdfs_and_a_customer_downloading_one_share_the_sqlite_file(tmp_path, redis):
    env = sqlite_env(tmp_path)
    for command in (["migrate", "--no-input"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, capture_output=True, timeout=300
        )
    mode = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.db import connection as c; c.ensure_connection();"
         "print(c.cursor().execute('PRAGMA journal_mode').fetchone()[0])"],
        cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert mode.stdout.strip().splitlines()[-1] == "wal"

    queue = f"sqlite-{uuid.uuid4().hex[:8]}"  # a queue of its own: tasks left by other tests never reach it
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2", "-n", f"{queue}@%h",
             "-l", "info", "--without-gossip", "--without-mingle", "-Q", queue],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        web = subprocess.run(
            [sys.executable, "-c", WEB_SCRIPT, queue],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=400,
        )  # fmt: skip
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=60)
    worker_log = log_path.read_text()
    assert web.returncode == 0, web.stderr[-3000:]
    result = json.loads(web.stdout.strip().splitlines()[-1])
    # Every customer got their PDF, not a 500.
    assert result["answers"] and all(answer == [200, "application/pdf", "%PDF-"] for answer in result["answers"]), (
        result,
        web.stderr[-3000:],
    )
    assert "database is locked" not in web.stderr + worker_log
    assert result["left"] == 0, worker_log[-3000:]  # and the worker rendered every invoice it was given
    assert "succeeded" in worker_log
