"""Text forms of opening hours, availability windows and lists in CSV cells. Pure: no I/O.

Hours:       "mon-fri 08:30-11:30,13:00-20:00; sat 08:30-11:30"  (days: mon..sun, ranges a-b, lists a/b)
Exceptions:  "2026-10-01 closed 国庆节; 2026-12-06 09:00-12:00 冬季便民服务日"
Windows:     "2026-01-01..2027-12-31 fri/sat/sun; 2028-01-01..2028-06-30"   (no days: every day)
Lists:       "daily_life|legal"

Every cell written goes through the kernel's `shared.csv_safety` (a cell that a spreadsheet would run as
a formula gets a leading apostrophe); every cell read has that apostrophe taken off again
(`restored_cell`), so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from shared.csv_safety import SafeDictWriter, restored_cell

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^\d{2}:\d{2}$")


class CellError(ValueError):
    """A cell that cannot be read; the message says why."""


def _days(text: str) -> list[int]:
    found: list[int] = []
    for part in text.split("/"):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS or DAYS.index(last) < DAYS.index(first):
                raise CellError(f"bad day range {part!r}")
            found += list(range(DAYS.index(first), DAYS.index(last) + 1))
        elif part in DAYS:
            found.append(DAYS.index(part))
        else:
            raise CellError(f"unknown day {part!r} (use mon..sun)")
    return found


def _periods(text: str) -> list[dict[str, str]]:
    periods = []
    for part in text.split(","):
        opens, _, closes = part.strip().partition("-")
        if not _TIME.match(opens) or not _TIME.match(closes):
            raise CellError(f"bad period {part!r} (use HH:MM-HH:MM)")
        periods.append({"opens": opens, "closes": closes})
    return periods


def parse_hours(text: str) -> list[dict[str, Any]]:
    weekly: list[dict[str, Any]] = []
    for group in filter(None, (g.strip() for g in text.split(";"))):
        days, _, times = group.partition(" ")
        if not times.strip():
            raise CellError(f"{group!r} has no times")
        for day in _days(days.strip().lower()):
            weekly += [{"weekday": day, **period} for period in _periods(times.strip())]
    return weekly


def format_hours(weekly: list[dict[str, Any]]) -> str:
    by_day: dict[int, str] = {}
    for period in weekly:
        text = f"{period['opens']}-{period['closes']}"
        by_day[period["weekday"]] = f"{by_day[period['weekday']]},{text}" if period["weekday"] in by_day else text
    groups: list[tuple[int, int, str]] = []
    for day in sorted(by_day):
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == by_day[day]:
            groups[-1] = (groups[-1][0], day, by_day[day])
        else:
            groups.append((day, day, by_day[day]))
    return "; ".join(
        f"{DAYS[first] if first == last else DAYS[first] + '-' + DAYS[last]} {times}" for first, last, times in groups
    )


def parse_exceptions(text: str) -> list[dict[str, Any]]:
    found = []
    for item in filter(None, (i.strip() for i in text.split(";"))):
        parts = item.split(" ", 2)
        try:
            day = date.fromisoformat(parts[0])
        except ValueError as error:
            raise CellError(f"bad date {parts[0]!r}") from error
        if len(parts) < 2:
            raise CellError(f"{item!r}: say closed or give times")
        periods = [] if parts[1] == "closed" else _periods(parts[1])
        entry: dict[str, Any] = {"day": day.isoformat(), "periods": periods}
        if len(parts) == 3 and parts[2].strip():
            entry["note"] = parts[2].strip()
        found.append(entry)
    return found


def format_exceptions(exceptions: list[dict[str, Any]]) -> str:
    items = []
    for item in exceptions:
        times = ",".join(f"{p['opens']}-{p['closes']}" for p in item["periods"]) or "closed"
        items.append(" ".join(filter(None, (item["day"], times, item.get("note")))))
    return "; ".join(items)


def parse_windows(text: str) -> list[dict[str, Any]]:
    windows = []
    for item in filter(None, (i.strip() for i in text.split(";"))):
        span, _, days = item.partition(" ")
        first, separator, last = span.partition("..")
        try:
            starts_on, ends_on = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as error:
            raise CellError(f"bad range {span!r} (use YYYY-MM-DD..YYYY-MM-DD)") from error
        if not separator:
            raise CellError(f"bad range {span!r}")
        window: dict[str, Any] = {"starts_on": starts_on, "ends_on": ends_on}
        if days.strip():
            window["weekdays"] = sorted(set(_days(days.strip().lower())))
        windows.append(window)
    if not windows:
        raise CellError("at least one window")
    return windows


def format_windows(windows: list[tuple[date, date, list[int]]]) -> str:
    parts = []
    for starts_on, ends_on, weekdays in windows:
        days = "" if len(weekdays) == 7 else " " + "/".join(DAYS[d] for d in weekdays)
        parts.append(f"{starts_on.isoformat()}..{ends_on.isoformat()}{days}")
    return "; ".join(parts)


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def rows_of(
    text: str, columns: tuple[str, ...], required: frozenset[str]
) -> tuple[list[tuple[int, dict[str, str]]], list[dict[str, Any]]]:
    """(line, row) pairs, and structural errors (missing columns, ragged rows)."""
    reader = csv.reader(io.StringIO(text, newline=""))  # the csv module splits lines: \r and \r\n endings too
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return [], [{"line": 1, "field": "header", "message": "the file is empty"}]
    except csv.Error as error:
        return [], [{"line": 1, "field": "header", "message": str(error)}]
    missing = sorted(required - set(header))
    if missing:
        return [], [{"line": 1, "field": name, "message": "missing column"} for name in missing]
    unknown = [name for name in header if name not in columns]
    errors = [{"line": 1, "field": name, "message": "unknown column"} for name in unknown]
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                errors.append(
                    {"line": line, "field": "row", "message": f"{len(values)} values for {len(header)} columns"}
                )
                continue
            rows.append(
                (line, {name: restored_cell(value.strip()) for name, value in zip(header, values, strict=True)})
            )
    except csv.Error as error:
        errors.append({"line": reader.line_num, "field": "row", "message": str(error)})
    return rows, errors


def to_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    output = io.StringIO()
    writer = SafeDictWriter(output, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return output.getvalue()
