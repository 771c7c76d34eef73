"""Meter zones (registers) and their display labels: pure data, no Django.

Zone order matters: it is the order of the CSV columns, of the form fields, and the tie-break order
of every largest-remainder split (total, day, night; peak, half_peak, night).
"""

TOTAL = "total"
DAY = "day"
NIGHT = "night"
PEAK = "peak"
HALF_PEAK = "half_peak"

ALL_ZONES = (TOTAL, DAY, NIGHT, PEAK, HALF_PEAK)  # CSV column order

ONE_ZONE = "total"
TWO_ZONE = "day+night"
THREE_ZONE = "peak+half_peak+night"

ZONE_SETS: dict[str, tuple[str, ...]] = {
    ONE_ZONE: (TOTAL,),
    TWO_ZONE: (DAY, NIGHT),
    THREE_ZONE: (PEAK, HALF_PEAK, NIGHT),
}

# What the display shows for each zone on the meters most customers have. Kyiv two-zone meters
# (seed 001): day = 1.8.2 / 15.8.2 / T22, night = 1.8.1 / 15.8.1 / T21.
DEFAULT_REGISTER_LABELS: dict[str, dict[str, list[str]]] = {
    ONE_ZONE: {TOTAL: ["1.8.0"]},
    TWO_ZONE: {DAY: ["1.8.2", "15.8.2", "T22"], NIGHT: ["1.8.1", "15.8.1", "T21"]},
    THREE_ZONE: {PEAK: ["1.8.1", "T1"], HALF_PEAK: ["1.8.2", "T2"], NIGHT: ["1.8.3", "T3"]},
}


def zones_of(zone_set: str) -> tuple[str, ...]:
    try:
        return ZONE_SETS[zone_set]
    except KeyError:
        raise ValueError(f"unknown zone set {zone_set!r}; expected one of {', '.join(ZONE_SETS)}") from None


def labels_problem(zone_set: str, labels: dict) -> str | None:
    """Why a register-label mapping does not fit the zone set, or None when it does."""
    zones = zones_of(zone_set)
    if not isinstance(labels, dict):
        return "labels must map each zone to a list of display labels"
    unknown = sorted(set(labels) - set(zones))
    if unknown:
        return f"labels given for zones the meter does not have: {', '.join(unknown)}"
    for zone, zone_labels in labels.items():
        if not isinstance(zone_labels, list) or not all(
            isinstance(label, str) and label.strip() for label in zone_labels
        ):
            return f"labels of zone {zone} must be a list of non-empty texts"
    return None
