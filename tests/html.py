"""Reading pages the way a person does: the visible text, with tags and extra spaces removed."""

import re
from html import unescape

TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)


def page_text(response) -> str:
    html = response.content.decode() if hasattr(response, "content") else str(response)
    return " ".join(unescape(TAG.sub(" ", html)).split()).replace(" :", ":").replace(" .", ".")
