"""The kernel's CSV cells (shared.csv_safety): no text cell a spreadsheet would run as a formula, and the
neutralising comes off exactly on import."""

from __future__ import annotations

import csv
import io
from typing import cast

from hypothesis import given
from hypothesis import strategies as st

from shared.csv_safety import (
    FORMULA_STARTS,
    NEUTRALISER,
    SafeDictWriter,
    SafeWriter,
    csv_line,
    restored_cell,
    safe_cell,
)

PLANTED = ['=HYPERLINK("http://evil.example","点这里")', "+1", "-2", "@SUM(A1:A9)", "\tX", "\rY", "=1+1"]

# Text that starts with a formula character (or an apostrophe) more often than chance would have it.
texts = st.one_of(
    st.text(),
    st.builds(lambda first, rest: first + rest, st.sampled_from([*FORMULA_STARTS, NEUTRALISER]), st.text()),
)
cells = st.one_of(texts, st.integers(), st.floats(allow_nan=False), st.none(), st.booleans())


def _parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@given(texts)
def test_no_text_cell_starts_a_formula(text):
    cell = safe_cell(text)
    assert not str(cell).startswith(FORMULA_STARTS)


@given(texts)
def test_importing_takes_off_exactly_what_exporting_added(text):
    assert restored_cell(cast(str, safe_cell(text))) == text  # safe_cell keeps text as text


@given(st.text().filter(lambda text: not text.startswith((*FORMULA_STARTS, NEUTRALISER))))
def test_plain_text_is_written_as_it_is(text):
    assert safe_cell(text) == text
    assert restored_cell(text) == text


@given(st.text().filter(lambda text: not text.startswith((*FORMULA_STARTS, NEUTRALISER))))
def test_an_apostrophe_a_person_typed_before_plain_text_stays_on_import(text):
    assert restored_cell(NEUTRALISER + text) == NEUTRALISER + text


def test_numbers_we_write_stay_numbers_and_none_is_empty():
    assert safe_cell(-2) == -2 and safe_cell(-1.5) == -1.5 and safe_cell(True) is True
    assert safe_cell(None) == ""
    assert safe_cell("-2") == "'-2"  # typed text that looks like a number is text


@given(st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=5), st.sampled_from(["\r\n", "\n"]))
def test_every_writer_writes_rows_a_csv_reader_reads_back_safe_and_restorable(rows, ending):
    buffer = io.StringIO()
    SafeWriter(buffer, lineterminator=ending).writerows(rows)
    streamed = "".join(csv_line(row, ending) for row in rows)
    assert streamed == buffer.getvalue()
    parsed = _parsed(buffer.getvalue())
    assert len(parsed) == len(rows)
    for written, read in zip(rows, parsed, strict=True):
        for value, cell in zip(written, read, strict=True):
            if isinstance(value, str):
                assert not cell.startswith(FORMULA_STARTS)
                assert restored_cell(cell) == value
            elif not isinstance(value, bool | int | float):
                assert cell == ""


def test_the_dict_writer_neutralises_cells_and_keeps_our_header():
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=["name", "note"], lineterminator="\n")
    writer.writeheader()
    for value in PLANTED:
        writer.writerow({"name": value, "note": None})
    header, *rows = _parsed(buffer.getvalue())
    assert header == ["name", "note"]
    assert [row[0] for row in rows] == [NEUTRALISER + value for value in PLANTED]
    assert all(not cell.startswith(FORMULA_STARTS) for row in rows for cell in row)
    assert [restored_cell(row[0]) for row in rows] == PLANTED
