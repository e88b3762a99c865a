"""The one reader of CSV files people make or edit: labels files, and results tables opened in a spreadsheet.

Spreadsheets save CSV in more than one way, so this reads UTF-8 with or without a byte-order mark, UTF-16
with one (Excel's "Unicode text"), and falls back to Windows-1252 (Excel's plain "CSV" on Windows). The
delimiter is a comma, or a semicolon / tab when the header uses one instead (Excel in locales with a decimal
comma). Header names are normalised (``" True Score"`` → ``true_score``). Every problem is one line that
names the file and line: ``labels.csv:7: score 'nan' is not a finite number``.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from .errors import VATPError


class CSVError(VATPError):
    """A CSV file cannot be read, or one of its values is not what the column needs."""


def normalise_header(name: str) -> str:
    """``" True-Score "`` → ``"true_score"``: what callers look columns up by."""
    return "_".join(name.replace("\ufeff", "").strip().lower().replace("-", " ").split())


@dataclass
class CSVRow:
    """One data row: its line in the file and its values by normalised column name (stripped text)."""

    where: str  # the file as the user named it
    line: int
    values: dict[str, str]
    error: type[VATPError] = CSVError
    decimal_comma: bool = False  # a semicolon- or tab-separated file may write 6,5 for 6.5

    def text(self, column: str | None) -> str:
        """The stripped value of a column; "" when the column or the value is absent."""
        return self.values.get(column, "") if column else ""

    def number(self, column: str | None) -> float:
        """A finite float; an empty cell, text, NaN and inf are errors naming this row."""
        value = self.optional_number(column)
        if value is None:
            self.fail(f"{column} is empty")
        return value

    def optional_number(self, column: str | None) -> float | None:
        """A finite float, or None for an empty cell; text, NaN and inf are errors naming this row."""
        raw = self.text(column)
        if not raw:
            return None
        decimal = raw.replace(",", ".") if self.decimal_comma and "." not in raw else raw
        try:
            value = float(decimal)
        except ValueError:
            self.fail(f"{column} {raw!r} is not a number")
        if not math.isfinite(value):
            self.fail(f"{column} {raw!r} is not a finite number")
        return value

    def fail(self, message: str) -> NoReturn:
        """Raise the reader's error for this row: ``file:line: message``."""
        raise self.error(f"{self.where}:{self.line}: {message}")


@dataclass
class CSVTable:
    """A whole file: the header as written, the normalised column names and the non-blank rows."""

    path: Path
    header: list[str]
    rows: list[CSVRow] = field(default_factory=list)
    error: type[VATPError] = CSVError

    @property
    def columns(self) -> list[str]:
        return [normalise_header(h) for h in self.header]

    def find(self, *names: str) -> str | None:
        """The first of ``names`` (normalised) that is a column, else None (for columns with several spellings)."""
        have = set(self.columns)
        return next((n for n in map(normalise_header, names) if n in have), None)

    def require(self, *names: str) -> str:
        """Like `find`, but a missing column is an error that lists the columns the file has."""
        found = self.find(*names)
        if found is None:
            wanted = " or ".join(repr(normalise_header(n)) for n in names)
            raise self.error(
                f"{self.path}: the header needs a {wanted} column (has: {', '.join(self.header) or 'nothing'})"
            )
        return found


def read_csv(path: str | Path, *, what: str = "CSV file", error: type[VATPError] = CSVError) -> CSVTable:
    """Read a user's CSV file whole (they are small); problems raise ``error`` (a `VATPError`) in one line.

    ``what`` names the file in the not-found message ("Labels file not found: …").
    """
    p = Path(path)
    if not p.is_file():
        raise error(f"{what} not found: {p}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {p}: {exc.strerror or exc}") from None
    text = _decode(data, p, error)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")  # an empty file is a table without columns
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = CSVTable(p, [], error=error)
    try:
        for raw in reader:
            if not table.header:
                if any(cell.strip() for cell in raw):
                    table.header = [cell.replace("\ufeff", "").strip() for cell in raw]
                    _check_header(table)
                continue
            cells = [cell.strip() for cell in raw]
            if not any(cells):
                continue  # blank lines and the empty rows spreadsheets leave at the end
            row = CSVRow(str(p), reader.line_num, {}, error, decimal_comma=delimiter != ",")
            extra = [c for c in cells[len(table.header) :] if c]
            if extra:
                row.fail(
                    f"{len(cells)} fields but the header has {len(table.header)} (a value with a "
                    f"{'comma' if delimiter == ',' else 'delimiter'} in it needs quotes)"
                )
            row.values = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(table.columns) if col}
            table.rows.append(row)
    except csv.Error as exc:
        raise error(f"{p}:{reader.line_num}: not valid CSV ({exc})") from None
    return table


def _decode(data: bytes, p: Path, error: type[VATPError]) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise error(f"{p} is not valid UTF-16 text") from None
    if b"\x00" in data[:4096]:
        raise error(f"{p} is not a text file (save it from the spreadsheet as CSV)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise error(f"{p} is neither UTF-8 nor Windows-1252 text (save it as 'CSV UTF-8')") from None


def _delimiter(header_line: str) -> str:
    """A comma, unless the header has none but semicolons or tabs (spreadsheets in decimal-comma locales)."""
    if "," in header_line or (";" not in header_line and "\t" not in header_line):
        return ","
    return ";" if header_line.count(";") >= header_line.count("\t") else "\t"


def _check_header(table: CSVTable) -> None:
    seen: set[str] = set()
    for col in table.columns:
        if col and col in seen:
            raise table.error(f"{table.path}: the header names the column {col!r} twice")
        seen.add(col)
