"""Head-end (AMI) exports for `import_readings`: an OBIS-coded file (readings/imports/obis.py) read with
the registers of the meters it names, as the importer's rows with channel `ami`."""

from django.utils import timezone

from readings.imports.history import CHUNK
from readings.imports.obis import MeterRegisters, ObisFile, read_obis
from readings.models import Channel, Meter
from readings.zones import DEFAULT_REGISTER_LABELS


def meter_registers(serials: list[str]) -> dict[str, MeterRegisters]:
    """Each meter's account and register labels by serial, read set-based (a chunk per query). A meter
    with no labels of its own has the usual ones of its zone set (readings/zones.py)."""
    found: dict[str, MeterRegisters] = {}
    for start in range(0, len(serials), CHUNK):
        rows = Meter.objects.filter(serial_number__in=serials[start : start + CHUNK]).values_list(
            "serial_number", "account__number", "zone_set", "register_labels"
        )
        for serial, account_number, zone_set, labels in rows:
            meter = Meter(zone_set=zone_set)
            found[serial] = MeterRegisters(
                account_number, meter.zones, labels or DEFAULT_REGISTER_LABELS.get(zone_set, {})
            )
    return found


def headend_file(source: bytes) -> ObisFile | None:
    """The rows of an OBIS export, or None when the file is the portal's own CSV."""
    return read_obis(source, meter_registers, zone=timezone.get_default_timezone(), channel=Channel.AMI)
