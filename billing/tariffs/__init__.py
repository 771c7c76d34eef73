"""Tariffs and norms: the versioned prices and norms the monthly run charges by.

- `versions.py` (pure, no Django): tariff versions, which one is in force on a day, and a volume split between
  the versions in force over a span by days (largest remainder);
- `imports.py`: the `import_tariffs` and `import_norms` commands' CSV import (every bad line named, nothing
  written unless the file is clean; a billed version never changes);
- `selectors.py`: whether a charge used a tariff or norm version (the import and the admin refuse to change it).
The models (`Tariff`, `Norm`) stay in `billing.models`; the commands are in `billing/management/commands/`.
"""
