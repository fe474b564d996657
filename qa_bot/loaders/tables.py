"""Tables a row a line, whatever format they come in."""

from __future__ import annotations


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
