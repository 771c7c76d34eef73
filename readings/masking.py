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


# Abbreviations a text-to-speech voice would spell out letter by letter, as words (uk and ru).
SPOKEN_WORDS = {
    "вул.": "вулиця",
    "просп.": "проспект",
    "пров.": "провулок",
    "бульв.": "бульвар",
    "пл.": "площа",
    "наб.": "набережна",
    "ул.": "улица",
    "пр.": "проспект",
    "пер.": "переулок",
    "буд.": "будинок",
    "д.": "дом",
    "корп.": "корпус",
}


def spoken_street_and_house(address: str) -> str:
    """'м. Київ, вул. Шевченка, буд. 12, кв. 5' -> 'вулиця Шевченка, будинок 12': what a voice menu reads
    back for the caller to confirm. The city and the flat are left out (the flat is never spoken, so a
    caller who has only the code learns no more than the building)."""
    parts = [part.strip() for part in address.split(",") if part.strip()]
    spoken = []
    for part in parts:
        lowered = part.lower()
        if lowered.startswith(CITY_PREFIXES) or lowered.startswith(FLAT_PREFIXES):
            continue
        words = [SPOKEN_WORDS.get(word.lower(), word) for word in part.split()]
        spoken.append(" ".join(words))
    return ", ".join(spoken)


def spoken_digits(digits: str) -> str:
    """'0007' -> '0 0 0 7': read one digit at a time."""
    return " ".join(digits)
