"""Values that programs read (date inputs, SVG coordinates, data attributes, CSV, JSON): never localized.

The one rule, used by the `machine` template filter, the ISO date widgets and the exports: dates as ISO
8601, numbers with a point and no grouping, whatever the page's language. A Ukrainian page writes
"48,5" and "02.12.2026" for people; a browser reads `x="48,5"` as nothing and `value="02.12.2026"`
as an empty date. No Django import: the exports and the template filter share it.
"""

import datetime
from decimal import Decimal


def machine_value(value) -> str:
    """`date(2026, 12, 2)` -> "2026-12-02", `48.5` -> "48.5", `Decimal("874.80")` -> "874.80", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, "f").rstrip("0").rstrip(".") if value == value and abs(value) != float("inf") else ""
    return str(value)
