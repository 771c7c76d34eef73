"""SMS texts as the seeds describe them, parsed without Django (DESIGN.md "Channels" 4).

- `1 # 001952`: command 1 ("pass a reading") from a phone registered to an account (the "SMS contract");
  for a two- or three-zone meter the zones follow in order, `1 # 012345 # 004567`.
- `<account> <meter serial> <day or total> [<night> [...]]`: from any phone.
- `1` or `2` alone: the answer to the question "did you swap day and night?" (1 swaps, 2 keeps).
Separators are spaces, `#`, `*`, `№`, `;` and commas in any number; leading zeros are kept as the display
shows them but do not change the value. A reading with a decimal part (`12345,6`, `12345.67`) counts as
its whole kWh, as seed 002 tells customers ("all digits before the comma"), and the parse says which
words lost a fraction so the reply can say "we took 12345". A comma is a decimal mark only between digits
with one to three digits after it (`28100,5`); otherwise (`28100, 14010`, `28100,14010`) it separates.
Anything else is a ParseError with a code the reply explains.
"""

import re
from dataclasses import dataclass

COMMAND_READING = "1"
MAX_TEXT = 320
MAX_VALUES = 3
MAX_VALUE_DIGITS = 9
# A decimal number first ("28100,5" must not become two zones), then any run of non-separators.
WORDS = re.compile(r"\d+[.,]\d{1,3}(?!\d)|[^\s#*№;,]+")
SEPARATOR_MARKS = re.compile(r"[#*№;,]")
DIGITS = re.compile(r"^\d+$")
DECIMAL = re.compile(r"^(\d+)[.,]\d{1,3}$")
SWAP_ANSWERS = {"1": True, "2": False}
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
    decimals: tuple[str, ...] = ()  # the words as sent whose fraction was dropped, e.g. ("12345,6",)


@dataclass(frozen=True)
class FullReading:
    account_number: str
    meter_serial: str
    values: tuple[int, ...]
    decimals: tuple[str, ...] = ()


@dataclass(frozen=True)
class SwapAnswer:
    """`1` (swap day and night) or `2` (keep them as sent), answering the reply's question."""

    swap: bool


@dataclass(frozen=True)
class ParseError:
    code: str
    detail: str = ""


def _values(words: list[str]) -> tuple[tuple[int, ...], tuple[str, ...]] | ParseError:
    if not words:
        return ParseError(UNKNOWN_FORMAT)
    if len(words) > MAX_VALUES:
        return ParseError(TOO_MANY_VALUES, str(len(words)))
    values, decimals = [], []
    for word in words:
        decimal = DECIMAL.match(word)
        whole = decimal.group(1) if decimal else word
        if not DIGITS.match(whole):
            return ParseError(NOT_DIGITS, word[:20])
        if len(whole) > MAX_VALUE_DIGITS:
            return ParseError(VALUE_TOO_LONG, word[:20])
        values.append(int(whole))
        if decimal:
            decimals.append(word)
    return tuple(values), tuple(decimals)


def parse_sms(text: str) -> ContractReading | FullReading | SwapAnswer | ParseError:
    if not isinstance(text, str) or not text.strip():
        return ParseError(EMPTY)
    if len(text) > MAX_TEXT:
        return ParseError(TOO_LONG)
    stripped = text.strip()
    words = WORDS.findall(stripped)
    if not words:
        return ParseError(EMPTY)
    if len(words) == 1 and words[0] in SWAP_ANSWERS and not SEPARATOR_MARKS.search(stripped):
        return SwapAnswer(SWAP_ANSWERS[words[0]])
    # "1 # 001952" (also "1#001952"): the command, then the values.
    if words[0] == COMMAND_READING and ("#" in stripped or len(words) == 2):
        parsed = _values(words[1:])
        return parsed if isinstance(parsed, ParseError) else ContractReading(*parsed)
    if len(words) >= 3 and DIGITS.match(words[0]) and 4 <= len(words[0]) <= 20 and SERIAL.match(words[1]):
        parsed = _values(words[2:])
        return parsed if isinstance(parsed, ParseError) else FullReading(words[0], words[1], *parsed)
    return ParseError(UNKNOWN_FORMAT)
