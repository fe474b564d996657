"""Tables a row a line, whatever format they come in."""

from __future__ import annotations

import re

_DIGIT = re.compile(r"\d")


def table_lines(rows: list[list[str]], header: bool) -> list[str]:
    """A table's lines, one a row with its cells joined by " | ".

    Under a header row each value carries its column's name ("Manager: Jane Doe"), so a row
    quoted alone as an answer still says what its figures are; the header's own line is then
    empty. A row with more or fewer cells than the header (merged cells) is left unnamed.
    """
    names = rows[0] if header and len(rows) > 1 else None
    lines = []
    for index, row in enumerate(rows):
        cells = row
        if names and index == 0:
            cells = []
        elif names and len(row) == len(names):
            cells = [
                f"{name}: {cell}" if name and cell else cell
                for name, cell in zip(names, row, strict=True)
            ]
        lines.append(" | ".join(cell for cell in cells if cell))
    return lines


def names_columns(rows: list[list[str]]) -> bool:
    """Whether the first row looks like a header where the file does not say: words over a
    column of figures ("Phone" over "ext. 4250", "ext. 4400"). Not a first row of a list of
    labels and values ("Name | Alice" over "Phone | 555 0100", "Email | a@example.com")."""
    if len(rows) < 3 or any(_DIGIT.search(cell) for cell in rows[0]):
        return False
    return has_figures([row for row in rows[1:] if len(row) == len(rows[0])])


def has_figures(rows: list[list[str]]) -> bool:
    """Whether two or more rows have a column whose every cell holds a figure."""
    return len(rows) >= 2 and any(
        all(_DIGIT.search(row[column]) for row in rows) for column in range(len(rows[0]))
    )
