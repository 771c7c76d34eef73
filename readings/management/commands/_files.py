"""What the CSV import commands share: reading the file and reporting its errors (not a command itself)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from readings.imports.csvfile import LineError


def read_source(name: str) -> bytes:
    """The file's bytes; `-` reads standard input. Decoding is the importer's job, so it can name the line."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror}") from error


def report_errors(command: BaseCommand, errors: list[LineError]) -> None:
    """Every error on its own line on stderr, then a non-zero exit."""
    for error in errors:
        command.stderr.write(str(error))
    lines = len({error.line for error in errors})
    raise CommandError(f"{_count(len(errors), 'error')} on {_count(lines, 'line')}; nothing was imported.")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
