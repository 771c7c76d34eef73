"""The bulk import commands' logic (DESIGN.md "Stable file formats"): each importer checks a whole CSV file,
reports every bad line with its line, column and rule, and writes nothing unless the file is clean.

- `csvfile.py` (pure, no Django): the file read into typed cells, and `LineError`; billing's tariff, norm and
  bank statement readers use it too;
- `accounts.py`: `import_accounts` (districts, accounts and their meters);
- `readings.py`: `import_readings`, with `history.py` (the facts of many meters in a fixed number of queries)
  and `headend.py` / `obis.py` (smart-meter head-end exports; `obis.py` is pure).

Nothing is imported here: importing `csvfile` must not load Django models, so callers import the module they
need (`from readings.imports.readings import readings_import`).
"""
