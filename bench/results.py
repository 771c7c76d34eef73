"""Appending a benchmark's figures to bench/RESULTS.md: the machine, the date, the command, a table."""

import os
import platform
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def times(value: float, base: float) -> str:
    """`value / base` as "12.3x", or "n/a" when the base took no measurable time (CPU-seconds are counted in
    clock ticks, so a small run's COPY can take 0.00 s): the ratio is then meaningless, not infinite."""
    return f"{value / base:.1f}x" if base > 0 else "n/a"


def results_append(*, command: str, lines: list[str], database: str, columns: str = "case | size | time | rate") -> str:
    """Print the section and append it to RESULTS.md (created with its title on the first run)."""
    width = columns.count("|") + 1
    header = (
        f"\n## {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {platform.node()} · {os.cpu_count()} cores · "
        f"{database} · Python {platform.python_version()}\n\n"
        f"Command: {command}\n\n"
        f"| {columns} |\n|{'---|' * width}\n"
    )
    text = header + "\n".join(lines) + "\n"
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `make bench`; newest last.\n")
    with RESULTS.open("a") as results:
        results.write(text)
    return text
