"""Addresses shown to someone who only proved two numbers: enough to recognise, not to learn (pure)."""

import re

CITY_PREFIXES = ("м.", "с.", "смт", "г.")
FLAT_PREFIXES = ("кв.", "кв ", "квартира", "flat", "apt")
BUILDING_PREFIXES = ("буд.", "д.", "будинок", "дом")


def _mask_word(word: str, keep: int) -> str:
    letters = len(word)
    return word if letters <= keep else word[:keep] + "*" * (letters - keep)


def mask_address(address: str) -> str:
    """'м. Київ, вул. Шевченка, буд. 12, кв. 5' -> 'вул. Шев*****, буд. 1*'.

    The city and the flat are dropped; the street keeps its type and first three letters of each word;
    the building number keeps its first character.
    """
    parts = [part.strip() for part in address.split(",") if part.strip()]
    shown = []
    for part in parts:
        lowered = part.lower()
        if lowered.startswith(CITY_PREFIXES) or lowered.startswith(FLAT_PREFIXES):
            continue
        if lowered.startswith(BUILDING_PREFIXES):
            prefix, _, number = part.partition(" ")
            shown.append(f"{prefix} {_mask_word(number.strip(), 1)}")
            continue
        words = part.split(" ")
        head = [words[0]] if re.fullmatch(r"\w+\.", words[0]) else []
        rest = words[len(head) :]
        shown.append(" ".join(head + [_mask_word(word, 3) for word in rest]))
    return ", ".join(shown)
