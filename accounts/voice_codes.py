"""The short voice code printed at the top of every bill (seed 002: the caller dictates "the numeric code
at the top of the bill" to the voice menu), without Django.

Nine digits: eight from a keyed permutation of the account's id (a 4-round Feistel network over 10^8,
so every account has its own code and no table or collision check is needed) and a Luhn check digit that
catches a mistyped or misheard digit before any lookup. Without the key the code cannot be worked out
from the account number or id; the key must stay the same for as long as bills carrying codes are in
people's hands (VOICE_CODE_KEY, docs/api.md).
"""

import hashlib
import hmac
import re

HALF = 10**4
SPACE = HALF * HALF  # account ids below 10^8
ROUNDS = 4


def _round(key: bytes, number: int, value: int) -> int:
    digest = hmac.new(key, f"{number}:{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % HALF


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def voice_code(account_id: int, key: bytes) -> str:
    if not 0 < account_id < SPACE:
        raise ValueError("voice codes cover account ids from 1 to 99,999,999")
    left, right = divmod(account_id, HALF)
    for number in range(ROUNDS):
        left, right = right, (left + _round(key, number, right)) % HALF
    body = f"{left * HALF + right:08d}"
    return body + _luhn_digit(body)


def account_id_of(spoken: str, key: bytes) -> int | None:
    """The account id a code names, in any grouping ("123 456 789", "123-45-6789"); None when it is not a
    code (wrong length or check digit)."""
    digits = re.sub(r"[\s\-.,/]", "", spoken or "")
    if not re.fullmatch(r"\d{9}", digits) or _luhn_digit(digits[:8]) != digits[8]:
        return None
    value = int(digits[:8])
    left, right = divmod(value, HALF)
    for number in reversed(range(ROUNDS)):
        left, right = (right - _round(key, number, left)) % HALF, left
    account_id = left * HALF + right
    return account_id if account_id > 0 else None


def grouped(code: str) -> str:
    """'123 456 789', as printed and read aloud."""
    return " ".join(code[index : index + 3] for index in range(0, len(code), 3))
