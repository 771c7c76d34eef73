"""Finding the personal account a bank payment is for, from its free-text purpose (pure: no Django).

Customers and banks write the account in the purpose in many ways: `о/р 1000100008`, `о/р1000100008`,
`ос.рах 1000100001`, `ос. рах. № ...`, `особовий рахунок № ...`, `л/с ...`, `лицевой счет ...`, `л/рах ...`,
often with Latin letters typed for their Cyrillic look-alikes (`o/p`). Every number that follows such a
marker is a candidate; the service keeps the candidates that are real accounts, and exactly one must
remain (two is ambiguous: staff decide).
"""

import re

# Latin letters typed in place of the Cyrillic ones they look like (`o/p` for `о/р`).
LOOKALIKES = str.maketrans("aceiopxyACEIOPXYK", "асеіорхуАСЕІОРХУК")

_MARKER = (
    r"(?:"
    r"о\s*/\s*р(?:ах)?"  # о/р, о/рах
    r"|ос\.?\s*/?\s*рах(?:унок|унку)?\.?"  # ос.рах, ос. рах., ос/рах, ос.рахунок
    r"|особ(?:\.|истий|овий|ового)?\s*рах(?:унок|унку|\.)?"  # особовий рахунок, особ. рах.
    r"|л\s*/\s*(?:с|сч|рах)\.?"  # л/с, л/сч, л/рах
    r"|лиц(?:евой|евого|\.)?\s*сч(?:е|ё)?т(?:а|у)?\.?"  # лицевой счет, лицевого счета, лиц. сч.
    r"|лиц\.?\s*сч\.?"
    r"|особовий|лицевой"
    r")"
)
# The marker, then `№`, `N`, `#` or `:` and spaces, then the number (4-20 digits, not part of a longer one).
_ACCOUNT_AFTER_MARKER = re.compile(
    r"(?<![0-9А-Яа-яІіЇїЄєҐґA-Za-z])" + _MARKER + r"\s*(?:[№N#:]\s*)?[:.]?\s*([0-9]{4,20})(?![0-9])",
    re.IGNORECASE,
)


def account_numbers_in(purpose: str) -> list[str]:
    """Every account number written after a marker in the purpose, in order, each once."""
    text = purpose.translate(LOOKALIKES).replace("ё", "е").replace("Ё", "Е")
    found: list[str] = []
    for match in _ACCOUNT_AFTER_MARKER.finditer(text):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found
