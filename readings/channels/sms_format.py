"""SMS texts as the seeds describe them, parsed without Django (DESIGN.md "Channels" 4).

- `1 # 001952`: command 1 ("pass a reading") from a phone registered to an account (the "SMS contract");
  for a two- or three-zone meter the zones follow in order, `1 # 012345 # 004567`.
- `<account> <meter serial> <day or total> [<night> [...]]`: from any phone.
Separators are spaces, `#` or `*` in any number; leading zeros are kept as the display shows them
but do not change the value. Anything else is a ParseError with a code the reply explains.
"""

import re
from dataclasses import dataclass

COMMAND_READING = "1"
MAX_TEXT = 320
MAX_VALUES = 3
MAX_VALUE_DIGITS = 9
# Not "," or ";": "28100,5" is a decimal comma, and must not become two zones.
SEPARATORS = re.compile(r"[\s#*]+")
DIGITS = re.compile(r"^\d+$")
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")

EMPTY = "empty"
TOO_LONG = "too_long"
UNKNOWN_FORMAT = "unknown_format"
NOT_DIGITS = "not_digits"
TOO_MANY_VALUES = "too_many_values"
VALUE_TOO_LONG = "value_too_long"


@dataclass(frozen=True)
class ContractReading:
    """`1 # values`: the account and meter come from the sender's registered phone."""

    values: tuple[int, ...]


@dataclass(frozen=True)
class FullReading:
    account_number: str
    meter_serial: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class ParseError:
    code: str
    detail: str = ""


def _values(words: list[str]) -> tuple[int, ...] | ParseError:
    if not words:
        return ParseError(UNKNOWN_FORMAT)
    if len(words) > MAX_VALUES:
        return ParseError(TOO_MANY_VALUES, str(len(words)))
    for word in words:
        if not DIGITS.match(word):
            return ParseError(NOT_DIGITS, word[:20])
        if len(word) > MAX_VALUE_DIGITS:
            return ParseError(VALUE_TOO_LONG, word[:20])
    return tuple(int(word) for word in words)


def parse_sms(text: str) -> ContractReading | FullReading | ParseError:
    if not isinstance(text, str) or not text.strip():
        return ParseError(EMPTY)
    if len(text) > MAX_TEXT:
        return ParseError(TOO_LONG)
    stripped = text.strip()
    words = [word for word in SEPARATORS.split(stripped) if word]
    if not words:
        return ParseError(EMPTY)
    # "1 # 001952" (also "1#001952"): the command, then the values.
    if words[0] == COMMAND_READING and ("#" in stripped or len(words) == 2):
        values = _values(words[1:])
        return values if isinstance(values, ParseError) else ContractReading(values)
    if len(words) >= 3 and DIGITS.match(words[0]) and 4 <= len(words[0]) <= 20 and SERIAL.match(words[1]):
        values = _values(words[2:])
        return values if isinstance(values, ParseError) else FullReading(words[0], words[1], values)
    return ParseError(UNKNOWN_FORMAT)
