"""The bulk import commands' logic (DESIGN.md "Stable file formats"): each importer checks a whole CSV file,
reports every bad line with its line, column and rule, and writes nothing unless the file is clean."""

from readings.imports.accounts import ACCOUNT_COLUMNS, AccountsImportResult, accounts_import
from readings.imports.csvfile import LineError
from readings.imports.readings import READING_COLUMNS, ReadingsImportResult, readings_import

__all__ = [
    "ACCOUNT_COLUMNS",
    "READING_COLUMNS",
    "AccountsImportResult",
    "LineError",
    "ReadingsImportResult",
    "accounts_import",
    "readings_import",
]
