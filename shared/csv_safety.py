"""CSV cells that a spreadsheet will not run: the one place every CSV the system writes goes through.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, WPS and
LibreOffice as a formula (OWASP "CSV injection"), so such a cell gets a leading apostrophe, which
spreadsheets show as text and hide. Numbers we write ourselves (ints, floats, a negative score) are
not text a user typed and stay as they are. Pure functions, no I/O.

A cell that already starts with an apostrophe gets one more, so the neutralising is exactly reversible:
`restored_cell(safe_cell(text)) == text` for every text, which is what lets a CSV we exported be
imported back unchanged (importers call `restored_cell` on each cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def safe_cell(value: object) -> object:
    """The value as it may stand in a CSV cell: text that would start a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) or text.startswith(NEUTRALISER):
        return NEUTRALISER + text
    return text


def restored_cell(text: str) -> str:
    """An imported cell as it was before `safe_cell`: one apostrophe that `safe_cell` would have added
    comes off; any other text (an apostrophe a person typed before plain text) stays as it is."""
    if text.startswith(NEUTRALISER) and text[1:].startswith((*FORMULA_STARTS, NEUTRALISER)):
        return text[1:]
    return text


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in values]


def _record(values: Iterable[object], lineterminator: str) -> str:
    # Written with CRLF, then given the caller's ending: the csv module quotes a cell only for the
    # characters of its own line ending, so under "\n" a cell holding a bare CR would go out unquoted
    # and split the record for every reader.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()[:-2] + lineterminator


def csv_line(values: Iterable[object], lineterminator: str = "\r\n") -> str:
    """One CSV record as text (for streaming answers), every cell made safe."""
    return _record(safe_row(values), lineterminator)


class SafeWriter:
    """csv.writer with every cell made safe (a cell holding CR or LF is always quoted)."""

    def __init__(self, output: io.StringIO | io.TextIOBase, lineterminator: str = "\r\n") -> None:
        self._output = output
        self._lineterminator = lineterminator

    def writerow(self, values: Iterable[object]) -> None:
        self._output.write(csv_line(values, self._lineterminator))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """csv.DictWriter with every cell made safe (the header is ours and written as it is)."""

    def __init__(
        self, output: io.StringIO | io.TextIOBase, fieldnames: Sequence[str], lineterminator: str = "\r\n"
    ) -> None:
        self._output = output
        self._fieldnames = list(fieldnames)
        self._lineterminator = lineterminator

    def writeheader(self) -> None:
        self._output.write(_record(self._fieldnames, self._lineterminator))

    def writerow(self, row: Mapping[str, object]) -> None:
        unknown = set(row) - set(self._fieldnames)
        if unknown:  # as csv.DictWriter: a key without a column is a programming error, not a dropped value
            raise ValueError(f"dict contains fields not in fieldnames: {sorted(unknown)}")
        self._output.write(csv_line((row.get(name) for name in self._fieldnames), self._lineterminator))
