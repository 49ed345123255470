"""Reading an import file: bytes -> numbered rows of cells, or one clear error for the whole file.

Row numbers are the spreadsheet's: the header and comment lines count, so "Row 14" is the
row a person sees in the program that made the file.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..seating import DEFAULT_LAYOUT, LAYOUTS

COLUMNS = ("flight_number", "origin", "destination", "departure_local", "arrival_local", "price", "capacity", "layout")
OPTIONAL_COLUMNS = ("capacity", "layout")
REQUIRED_COLUMNS = tuple(name for name in COLUMNS if name not in OPTIONAL_COLUMNS)
COMMENT = "#"
MAX_CELL_CHARS = 1000  # no cell of a real schedule comes near this; a bigger one is not a schedule


class ImportFileError(Exception):
    """The file cannot be imported at all; the message is shown to staff as it is."""


@dataclass(frozen=True)
class CsvRow:
    number: int  # the spreadsheet row number (header and comments counted)
    values: dict[str, str]  # column name -> cell, stripped; "" when empty or missing
    problems: tuple[str, ...] = ()  # what is wrong with the row's shape, before any field rule


@dataclass
class CsvFile:
    rows: list[CsvRow] = field(default_factory=list)
    header: tuple[str, ...] = ()


def size_text(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{max(count // 1024, 1)} KB"


def check_size(size: int) -> None:
    """Raises ImportFileError if `size` bytes is empty or over FLIGHT_IMPORT_MAX_BYTES."""
    if size == 0:
        raise ImportFileError("The file is empty. Download the sample file to see what an import looks like.")
    if size > settings.FLIGHT_IMPORT_MAX_BYTES:
        raise ImportFileError(
            f"The file is {size_text(size)}; the limit is {size_text(settings.FLIGHT_IMPORT_MAX_BYTES)}. "
            "Split it into smaller files and import them one after another."
        )


BINARY = "This is not a text file (it contains binary data). Upload a CSV file saved as UTF-8."


def _looks_binary(head: bytes) -> bool:
    """Many NUL bytes: a program's file, not text. A stray NUL in a text file is reported
    on its row instead (`_row`), wherever it is."""
    return head.count(b"\x00") > max(8, len(head) // 100)


def decode(data: bytes) -> str:
    """UTF-8 text (a byte order mark is fine). Raises ImportFileError for anything else."""
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "This is a spreadsheet workbook (such as .xlsx), not a CSV file. "
            "In your spreadsheet program choose Save as → “CSV UTF-8”, then upload that file."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("The file is UTF-16 text. Save it as “CSV UTF-8” and upload it again.")
    if _looks_binary(data[:65536]):
        raise ImportFileError(BINARY)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if b"\x00" in data[:65536]:
            raise ImportFileError(BINARY) from error
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text: line {line} has the byte 0x{data[error.start]:02X}, as files saved as "
            "Latin-1 or Windows-1252 do. Save it as “CSV UTF-8” and upload it again."
        ) from error
    if not text.strip():
        raise ImportFileError("The file is empty. Download the sample file to see what an import looks like.")
    return text


def _normalise(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _is_comment(cells: list[str]) -> bool:
    return bool(cells) and cells[0].lstrip().startswith(COMMENT)


def _header(cells: list[str]) -> tuple[str, ...]:
    names = tuple(_normalise(cell) for cell in cells)
    expected = ", ".join(COLUMNS)
    known = [name for name in names if name in COLUMNS]
    if not known:
        raise ImportFileError(
            f"The first row must name the columns: {expected} (capacity and layout may be left out). "
            "Download the sample file to see one."
        )
    unknown = [cell.strip() for cell, name in zip(cells, names, strict=True) if name and name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header: "
            f"{', '.join(repr(name) for name in unknown)}. The columns are: {expected}."
        )
    repeated = sorted({name for name in known if known.count(name) > 1})
    if repeated:
        raise ImportFileError(f"The header names {', '.join(repeated)} more than once.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise ImportFileError(
            f"The header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
            f"The columns are: {expected} (capacity and layout may be left out)."
        )
    return names


def _dialect(text: str) -> type[csv.Dialect]:
    """Comma-separated, or semicolon-separated as spreadsheets save it where the comma is the
    decimal separator: decided by the first line that is not a comment."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith(COMMENT):
            if line.count(";") > line.count(","):
                return _Semicolon
            break
    return csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def read_rows(data: bytes, *, max_rows: int | None = None) -> CsvFile:
    """The header and the data rows of an import file (comment and blank rows skipped).

    Raises ImportFileError when the file as a whole cannot be imported: empty, too large, not
    UTF-8, binary, no or a wrong header, no rows, more than `max_rows` (default
    FLIGHT_IMPORT_MAX_ROWS) rows. Problems of single rows are left to validation.
    """
    check_size(len(data))
    max_rows = settings.FLIGHT_IMPORT_MAX_ROWS if max_rows is None else max_rows
    text = decode(data)
    parsed = CsvFile()
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    row_number = 0
    try:
        for cells in reader:
            row_number += 1
            if not any(cell.strip() for cell in cells) or _is_comment(cells):
                continue
            if not parsed.header:
                parsed.header = _header(cells)
                continue
            if len(parsed.rows) == max_rows:
                raise ImportFileError(
                    f"The file has more than {max_rows:,} flights; split it into files of at most {max_rows:,} rows."
                )
            parsed.rows.append(_row(row_number, cells, parsed.header))
    except csv.Error as error:
        raise ImportFileError(f"Row {row_number + 1} is not valid CSV ({error}).") from error
    if not parsed.header:
        raise ImportFileError("The file has only comments. Add the header row and one row per flight.")
    if not parsed.rows:
        raise ImportFileError("The file has a header but no flights. Add one row per flight under the header.")
    return parsed


def _row(number: int, cells: list[str], header: tuple[str, ...]) -> CsvRow:
    values = dict.fromkeys(COLUMNS, "")
    problems = []
    for index, raw in enumerate(cells):
        cell = raw.strip()
        if "\x00" in cell:
            # PostgreSQL text cannot hold NUL: reported here; the rest of the cell is checked as usual.
            column = header[index] if index < len(header) else f"column {index + 1}"
            problems.append(f"{column}: the cell contains a NUL character (byte 0x00), which is not text")
            cell = cell.replace("\x00", "")
        name = header[index] if index < len(header) else ""
        if name:
            values[name] = cell
        elif cell:
            problems.append(f"the value {cell[:40]!r} is in a column the header does not name")
        if len(cell) > MAX_CELL_CHARS:
            problems.append(f"a cell is {len(cell):,} characters long")
    return CsvRow(number=number, values=values, problems=tuple(problems))


def sample_csv(airports: list[tuple[str, str]]) -> str:
    """A small valid import file: comment lines that explain each column, the header, and a few
    flights a month from now between `airports` ((IATA, time zone) pairs, at least two)."""
    from zoneinfo import ZoneInfo

    currency = settings.CURRENCY
    layouts = ", ".join(LAYOUTS)
    notes = [
        f"{settings.SITE_NAME} flight import. One flight per row under the column names. Rows starting with # are ignored.",
        "flight_number: airline code and number, like SK123. Number + departure time identify a flight: "
        "importing the same flight again changes nothing, and a changed row updates that flight.",
        "origin / destination: IATA airport codes, like LHR.",
        "departure_local: YYYY-MM-DD HH:MM in the origin airport's local time. "
        "arrival_local: the same, in the destination airport's local time.",
        f"price: per seat in {currency}, like 129.00. capacity: seats, 1-600 (empty: {settings.DEFAULT_FLIGHT_CAPACITY}). "
        f"layout: {layouts} (empty: {DEFAULT_LAYOUT}).",
        "Save as CSV UTF-8. Every row is checked first: one bad row and nothing is imported.",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for note in notes:
        writer.writerow([f"{COMMENT} {note}"])
    writer.writerow(COLUMNS)
    day = timezone.now().date() + timedelta(days=30)
    pairs = [(airports[0], airports[1]), (airports[1], airports[0])]
    if len(airports) > 2:
        pairs.append((airports[0], airports[2]))
    for index, ((origin, origin_tz), (destination, destination_tz)) in enumerate(pairs):
        departs = datetime(day.year, day.month, day.day, 9 + 4 * index, 15, tzinfo=ZoneInfo(origin_tz))
        arrives = (departs + timedelta(hours=2, minutes=40 + 15 * index)).astimezone(ZoneInfo(destination_tz))
        writer.writerow(
            [
                f"SK{101 + index}",
                origin,
                destination,
                f"{departs:%Y-%m-%d %H:%M}",
                f"{arrives:%Y-%m-%d %H:%M}",
                f"{129 + 40 * index}.00",
                "" if index == 0 else str(180 if index == 1 else 90),
                "" if index == 0 else ("3-3" if index == 1 else "2-2"),
            ]
        )
    return out.getvalue()
