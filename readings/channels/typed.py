"""Numbers as people type them into a chat, without Django: `14 416` (a space between digit groups, as
the display spaces them), `14416,5` or `14416.5` (the fraction dropped, as the seeds tell customers: the
same rule as SMS), leading zeros kept as the display shows them but not changing the value."""

import re

GROUP_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009']+(?=\d)")
READING = re.compile(r"^(\d+)(?:[.,]\d{1,3})?$")
YES_WORDS = frozenset({"так", "да", "yes", "y", "ok", "ок", "+", "1", "ага", "угу", "звісно", "конечно", "sure"})
NO_WORDS = frozenset({"ні", "нет", "no", "n", "-", "2", "не"})


def typed_reading(text: str, max_digits: int) -> tuple[int, bool] | None:
    """(value, fraction dropped) for a typed meter reading, or None when it is not one."""
    if not isinstance(text, str):
        return None
    joined = GROUP_SPACES.sub("", text.strip())
    match = READING.match(joined)
    if match is None or len(match.group(1).lstrip("0")) > max_digits:
        return None
    return int(match.group(1)), match.group(0) != match.group(1)


def typed_answer(text: str) -> bool | None:
    """True for a typed yes (uk, ru, en), False for a no, None for anything else."""
    word = (text or "").strip().lower().rstrip(".!)")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None
