"""How many SMS a reply costs (3GPP TS 23.038): GSM-7 when every character is in the default alphabet
(160 septets, or 153 per part once split; the extension characters take two), else UCS-2 (70 UTF-16
units, 67 per part): one Cyrillic letter makes the whole text UCS-2. No Django import."""

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def sms_units(text: str) -> tuple[str, int]:
    """("gsm7", septets) or ("ucs2", UTF-16 code units)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return "gsm7", sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    encoding, units = sms_units(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_PART)
    if units <= single:
        return 1
    return -(-units // part)
