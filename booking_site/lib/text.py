"""Text helpers shared by every app."""

import unicodedata


def printable(text: str) -> str:
    """`text` without control characters (NUL, escapes, line breaks: Unicode category Cc) and
    unpaired surrogates, for a value taken from a client that is stored or shown as one line,
    such as an uploaded file's name. PostgreSQL text cannot hold NUL at all."""
    return "".join(
        char for char in text if unicodedata.category(char) != "Cc" and not 0xD800 <= ord(char) <= 0xDFFF
    ).strip()
