"""Benchmark: one invoice PDF, warm, as the `documents` worker renders it; on PostgreSQL.

    python bench/invoice_pdf.py [--pdfs 200] [--profile]

Generates 2 x `--pdfs` + 5 accounts (3 x with `--profile`) with October's charges (bench/invoices.py's
generator: a one- or two-zone meter each) and issues their invoices through the billing service. Then, in
this warm process (fonts, stylesheets and templates loaded by five renders first), renders `--pdfs` of them
one after another, each invoice once as the `documents` worker does (so each render draws its own QR code),
and reports the median and p95 per PDF in CPU milliseconds (`time.process_time`: this process's CPU, every
thread) and wall milliseconds, beside a one-line WeasyPrint page rendered in the same run as the base.
The two steps of a render are timed apart on the other `--pdfs` invoices: the HTML (Django templates, the
QR code and its image), then WeasyPrint's PDF of that HTML.
`--profile` profiles the invoice renders with cProfile and prints the top five functions by own time and
by cumulative time. Appends the figures to bench/RESULTS.md with `uptime`'s load averages.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.results import results_append, times  # noqa: E402

WARM = 5


def timed(render, count: int) -> tuple[list[float], list[float]]:
    """CPU and wall milliseconds of render(0 .. count - 1), after WARM calls render(count ..) not counted."""
    for index in range(count, count + WARM):
        render(index)
    cpu, wall = [], []
    for index in range(count):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        render(index)
        cpu.append((time.process_time() - cpu_start) * 1000)
        wall.append((time.perf_counter() - wall_start) * 1000)
    return cpu, wall


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def figures(name: str, cpu: list[float], wall: list[float], base_cpu: float | None = None) -> str:
    ratio = f"{times(statistics.median(cpu), base_cpu)} the base" if base_cpu is not None else ""
    return (
        f"| {name} | CPU median {statistics.median(cpu):.1f} ms, p95 {p95(cpu):.1f} ms | "
        f"wall median {statistics.median(wall):.1f} ms, p95 {p95(wall):.1f} ms | {ratio} |"
    )


def profile_top(render, count: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(count):
        render(index)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(5)
    stats.sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def invoices_make(accounts: int) -> list:
    """Issue `accounts` invoices as the billing pass does: bench/invoices.py's generator, then the pass's
    `auto_invoices_issue` for the whole id range in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from bench.invoices import MONTH, generate
    from billing.invoices.services import auto_invoices_issue
    from billing.models import BillingRun, Invoice

    generate(accounts)
    now = timezone.now()
    run = BillingRun.objects.create(
        month=MONTH,
        pass_name="final",
        run_date=date(2026, 11, 4),
        chunk_size=accounts,
        started_at=now,
        heartbeat_at=now,
    )
    with transaction.atomic():
        auto_invoices_issue(first_account_id=1, last_account_id=accounts, run=run, now=now)
    return list(Invoice.objects.order_by("pk"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfs", type=int, default=200, help="renders timed (each of its own invoice)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top costs of the renders")
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        from weasyprint import HTML

        from billing.documents.pdf import invoice_pdf, pdf_from_html
        from billing.documents.render import invoice_html

        count = args.pdfs
        invoices = invoices_make((3 if args.profile else 2) * count + WARM)
        whole, steps = invoices[:count], invoices[count : 2 * count]
        warm, profiled = invoices[2 * count : 2 * count + WARM], invoices[2 * count + WARM :]
        # The warm-up renders (their own invoices, so that no QR code of a timed render is drawn before).
        pages = {}

        def html_step(index):
            pages[index] = invoice_html(steps[index] if index < count else warm[index - count])

        base = timed(lambda index: HTML(string="<p>Рахунок № 1</p>").write_pdf(), count)
        pdf = timed(lambda index: invoice_pdf(whole[index] if index < count else warm[index - count]), count)
        html = timed(html_step, count)
        drawing = timed(lambda index: pdf_from_html(pages[index]), count)
        profile = profile_top(lambda index: invoice_pdf(profiled[index]), count) if args.profile else ""
    finally:
        teardown_databases(databases, verbosity=0)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    base_cpu = statistics.median(base[0])
    lines = [
        figures(f"invoice PDF, warm, {args.pdfs} invoices", *pdf, base_cpu),
        figures("  of which the HTML (templates, QR image)", *html),
        figures("  of which the PDF from that HTML (WeasyPrint)", *drawing),
        figures("base: one-line WeasyPrint page, same run", *base),
    ]
    results_append(
        command=(
            f"`bench/invoice_pdf.py --pdfs {args.pdfs}`; CPU = time.process_time of the bench process; load: {load}"
        ),
        lines=lines,
        database=connection.vendor,
        columns="case | CPU per PDF | wall per PDF | ratio",
    )
    if profile:
        print(profile)


if __name__ == "__main__":
    main()
