"""Text helpers shared by every app."""

import re
import unicodedata


def printable(text: str) -> str:
    """`text` without control characters (NUL, escapes, line breaks: Unicode category Cc) and
    unpaired surrogates, for a value taken from a client that is stored or shown as one line,
    such as an uploaded file's name. PostgreSQL text cannot hold NUL at all."""
    return "".join(
        char for char in text if unicodedata.category(char) != "Cc" and not 0xD800 <= ord(char) <= 0xDFFF
    ).strip()


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: "Tarbes-Lourdes-Pyrénées" -> "tarbes lourdes pyrenees".
    What airport names are matched on (suggestions) and last names compared by (Manage booking)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.split(r"[\W_]+", plain)).strip()
