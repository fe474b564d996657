"""PDF files: text a page at a time, without the running headers and footers."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from qa_bot.errors import CorruptDocumentError, EmptyDocumentError, EncryptedDocumentError
from qa_bot.loaders.document import PAGE_SEPARATOR, Extracted, PageSpan
from qa_bot.loaders.notes import is_footnote_mark, without_note_marks
from qa_bot.loaders.numbering import BULLET
from qa_bot.loaders.tables import has_figures, names_columns, table_lines
from qa_bot.loaders.text import normalise_newlines
from qa_bot.loaders.titles import usable_title

if TYPE_CHECKING:
    from pypdf import PageObject


def extract_pdf(path: Path, data: bytes) -> Extracted:
    import io

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password; those open fine.
            try:
                if not reader.decrypt(""):
                    raise EncryptedDocumentError(str(path), "encrypted PDF")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise EncryptedDocumentError(str(path), "encrypted PDF") from exc
        raw = [table_rows(page_lines(page)) for page in reader.pages]
        furniture = PageFurniture.find(raw)
        texts = _number_items([_mark_bullets(text) for text in furniture.strip(raw)])
        texts = _dehyphenated([without_note_marks(text) for text in texts])
        texts = [
            _slide_lines(text) if _landscape(page) else text
            for text, page in zip(texts, reader.pages, strict=True)
        ]
        parts: list[str] = []
        pages: list[PageSpan] = []
        offset = 0
        for number, page_text in enumerate(texts, start=1):
            if not page_text:
                continue
            if parts:
                offset += len(PAGE_SEPARATOR)
            parts.append(page_text)
            pages.append(PageSpan(number, offset, offset + len(page_text)))
            offset += len(page_text)
        metadata = reader.metadata
        title = usable_title(metadata.title if metadata else None) or furniture.running_title(raw)
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(str(path), "encrypted PDF") from exc
    except PdfReadError as exc:
        raise CorruptDocumentError(str(path), f"damaged PDF ({exc})") from exc
    if not parts:
        raise EmptyDocumentError(str(path), "no extractable text (a scanned PDF needs OCR first)")
    return PAGE_SEPARATOR.join(parts), title, tuple(pages)


# A word broken at a line's end by justified text: "infra-" over "structure and", "meas-" over
# "ures, and".
_BROKEN_WORD = re.compile(r"\b(\w+)-\n[ \t]*([a-z]\w*)([^\w\s]*)([ \t]|$)", re.MULTILINE)
_WORDS = re.compile(r"\w+")


def _dehyphenated(pages: list[str]) -> list[str]:
    """A word that justified text hyphenated at a line's end, whole again where the document
    writes it whole elsewhere ("infra-" over "structure": "infrastructure"); a word written
    with its hyphen ("all-weather") keeps it. Broken, it matches neither the keyword search
    nor a question's words."""
    words = {word.lower() for page in pages for word in _WORDS.findall(page)}

    def join(match: re.Match[str]) -> str:
        whole = match[1] + match[2]
        if whole.lower() not in words:
            return match[0]
        ends = match[3]  # "," or ".": the stop that follows the word
        return f"{whole}{ends}\n" if match[4] else f"{whole}{ends}"  # the line breaks after it

    return [_BROKEN_WORD.sub(join, page) for page in pages]


def _landscape(page: PageObject) -> bool:
    """Whether the page shows wider than tall, as a slide does (a turned page is shown turned)."""
    box = page.mediabox
    wide = float(box.width) > float(box.height)
    return wide != (page.rotation % 180 == 90)


def _slide_lines(text: str) -> str:
    """A slide's lines each a paragraph of their own: its title and its points, which a deck
    prints without a full stop (and often draws their bullets as shapes, not text). Read as
    the lines of a page of prose, they would run on as one sentence. A line that goes on in
    lower case is a point's wrapped line."""
    lines = text.split("\n")
    kept = lines[:1]
    for before, line in pairwise(lines):
        if before.strip() and line.strip() and not line.lstrip()[:1].islower():
            kept.append("")
        kept.append(line)
    return "\n".join(kept)


class Line(NamedTuple):
    """A line of a page's text, the height it is printed at, in points from the page's foot,
    and where it starts, in points from the page's left edge (None when pypdf did not say)."""

    text: str
    height: float | None = None
    x: float | None = None


def page_lines(page: PageObject) -> list[Line]:
    """A page's lines as pypdf reads them, each at the height of its first words.

    pypdf reads text in the order it was drawn, not where it was drawn: a report's header and
    footer, drawn before the body, come out together as its first lines.
    """
    pieces: list[tuple[str, float, float]] = []
    sizes: list[float] = []

    def visit(
        text: str, user: list[float], matrix: list[float], _font: object, size: float
    ) -> None:
        if text:
            # The text matrix's origin in page space.
            x = user[0] * matrix[4] + user[2] * matrix[5] + user[4]
            pieces.append((text, user[1] * matrix[4] + user[3] * matrix[5] + user[5], x))
            sizes.append((size or 0.0) * _scale(matrix) * _scale(user))

    text = normalise_newlines(page.extract_text(visitor_text=visit) or "")
    if normalise_newlines("".join(piece for piece, _, _ in pieces)) != text:
        # The visitor missed some text: the lines as read, without heights.
        return [Line(line) for line in text.split("\n")]
    lines = [Line("")]
    for piece, height, x in _without_note_marks(pieces, sizes):
        for index, part in enumerate(normalise_newlines(piece).split("\n")):
            if index:
                lines.append(Line(""))
            last = lines[-1]
            if last.height is None and part.strip():
                lines[-1] = Line(last.text + part, height, x)
            else:
                lines[-1] = last._replace(text=last.text + part)
    return lines


def _scale(matrix: list[float]) -> float:
    return math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))


def _without_note_marks(
    pieces: list[tuple[str, float, float]], sizes: list[float]
) -> list[tuple[str, float, float]]:
    """The pieces without a footnote's mark in the text: digits set smaller than the word or
    full stop they follow ("profit¹ rose", "in 2024.² The"), which pypdf joins to it as
    "profit1", or, drawn apart on a raised baseline, puts on a line of its own."""
    pieces = list(pieces)
    for index in range(1, len(pieces)):
        (mark, mark_y, _), (before, before_y, _) = pieces[index], pieces[index - 1]
        after, after_y, _ = pieces[index + 1] if index + 1 < len(pieces) else ("\n", 0.0, 0.0)
        if not (
            0 < sizes[index] < 0.85 * sizes[index - 1]
            and is_footnote_mark(mark, before.rstrip("\n"))
            and (not after or after[0].isspace() or after[0] in ".,;:)")
        ):
            continue
        if before.endswith("\n") or mark.endswith("\n"):
            # Drawn apart: a mark raised above the line, which goes on after it.
            raised = 0.15 < (mark_y - before_y) / sizes[index - 1] < 1
            if not (raised and after.strip() and abs(after_y - before_y) < 1):
                continue
            pieces[index - 1] = (before.rstrip("\n"), *pieces[index - 1][1:])
        pieces[index] = ("", *pieces[index][1:])
    return pieces


# A table: at least this many rows in a row (a header and two), each of as many cells (two or
# more), which pypdf reads a line each, all at the row's height.
_TABLE_ROWS = 3


def table_rows(page: list[Line]) -> list[Line]:
    """A table's cells joined a row a line ("Church Lane solar | 0.9 | 860 | 871"), each value
    under a header row carrying its column's name ("Actual (MWh): 871"), as the other loaders
    write tables: a cell on a line of its own, quoted as an answer, says nothing.

    A header is a row of words over a column of figures; a header row of one cell fewer heads
    all but the rows' first column (their labels), as a table of years does.
    """
    rows: list[list[Line]] = []
    for line in page:
        last = rows[-1][-1] if rows else None
        same = last is not None and line.height is not None and last.height is not None
        if same and abs(line.height - last.height) < 1.5 and line.text and last.text:
            rows[-1].append(line)
        else:
            rows.append([line])
    # A list's number or bullet is printed beside its item, not as a cell of a row; but a
    # table's first column may number its rows ("1 | Frontend development | 38 h | 95.00").
    rows = [
        part
        for row in rows
        for part in (
            [row[:1], row[1:]]
            if len(row) == 2 and _LIST_MARK.fullmatch(row[0].text.strip())
            else [row]
        )
    ]
    rows = _gridded(rows)
    lines: list[Line] = []
    index = 0
    while index < len(rows):
        cells = len(rows[index])
        end = index + 1
        while end < len(rows):
            if len(rows[end]) == cells:
                end += 1
            elif end + 1 < len(rows) and len(rows[end + 1]) == cells and _is_label(rows[end]):
                end += 2  # "Financial" over the rows of a section of the table
            else:
                break
        full = [row for row in rows[index:end] if len(row) == cells]
        if cells < 2 or len(full) < _TABLE_ROWS or all(map(_is_field_row, full)):
            for row in rows[index:end]:
                lines += _loose_lines(row)
            index = end
            continue
        block = rows[index:end]
        table = [[line.text.strip() for line in row] for row in block]
        header = names_columns(table)
        # The years over a table's figures, perhaps a section's label between them and its
        # first row: "2024 | 2023", "Financial", "Revenue | £41.2m | £38.0m".
        labelled = index > 1 and _is_label(rows[index - 1])
        heads = rows[index - 1 - labelled : index] if index > labelled else []
        above = heads[0] if heads else []
        # Not counting a section's label that a grid reads as a row of empty cells.
        figures = has_figures([row for row in table if sum(map(bool, row)) > 1])
        if not header and cells > 2 and len(above) == cells - 1 and figures:
            del lines[-sum(len(_loose_lines(row)) for row in heads) :]
            block[:0] = heads
            table[:0] = [["", *(line.text.strip() for line in above)]] + (
                [[heads[-1][0].text.strip()]] if labelled else []
            )
            header = True
        texts = table_lines(table, header)
        # A paragraph a row, as a .docx's table reads: a row is no line of wrapped text.
        for text, row in zip(texts, block, strict=True):
            lines += [Line(""), Line(text, row[0].height)] if text else []
        lines.append(Line(""))
        index = end
    return lines


def _is_label(row: list[Line]) -> bool:
    """A table's section label: a row of one short cell of words ("Financial", "Operational")
    between rows of figures."""
    text = row[0].text.strip() if len(row) == 1 else ""
    return 0 < len(text) <= _LABEL_LENGTH and not any(map(str.isdigit, text))


def _loose_lines(row: list[Line]) -> list[Line]:
    """The lines of a row that is no table's: a form's row a paragraph of its own, as a
    table's row is; else its lines as pypdf read them."""
    if _is_field_row(row):
        return [Line(""), Line(_field_line(row), row[0].height), Line("")]
    return row


# The longest a table's section label may be, in characters.
_LABEL_LENGTH = 40
# Cells start in one column when their left edges are this close, in points.
_COLUMN_SLACK = 2.0
# A table's row follows the one before it with at least its cells' padding between them,
# and a wrapped cell's next line with none: a gap this much (points) under the rows' own.
_CELL_PADDING = 2.5
# The narrowest a character is printed, in points: no cell's text is wider than its column.
_NARROWEST_CHARACTER = 2.5


def _gridded(rows: list[list[Line]]) -> list[list[Line]]:
    """A drawn table's rows each of as many cells as it has columns, where pypdf reads a row
    with an empty cell ("Follow-up treatment | 30 min | £48 |") or a cell wrapped onto lines
    of their own as rows of fewer cells: the table would break in two, and name its cells by
    the wrong columns ("30 min: £48")."""
    gridded: list[list[Line]] = []
    index = 0
    while index < len(rows):
        found = _grid(rows, index)
        if found is None:
            gridded.append(rows[index])
            index += 1
        else:
            grid, used = found
            gridded += grid
            index += used
    return gridded


def _grid(rows: list[list[Line]], start: int) -> tuple[list[list[Line]], int] | None:
    """The table whose first row (three or more cells) is `start`, as a grid, and how many of
    `rows` it takes; None when there is none, or when its rows are whole already.

    A table is drawn a cell at a time, a row at a time: a row starts where a line starts left
    of the line before it. Its lines start at its columns' left edges, fit between them, and
    go down the page.
    """
    first = rows[start]
    if len(first) < 3 or not all(map(_placed, first)):
        return None
    columns = sorted(line.x for line in first)
    if any(right - left <= _COLUMN_SLACK for left, right in pairwise(columns)):
        return None
    table: list[list[Line]] = [list(first)]
    taken = [1]  # how many of `rows` each row of the table is made of
    pitch = math.inf  # the least gap from a row's lowest line to the next row's top, so far
    for row in rows[start + 1 :]:
        if not all(_placed(line) and _cell_of(line, columns) is not None for line in row):
            break
        last = table[-1]
        gap = _gap(last, row)
        # The last row may yet grow: its gap from the row before counts as it stands.
        least = min(pitch, _gap(table[-2], last)) if len(table) > 1 else None
        column, last_column = _cell_of(row[0], columns), _cell_of(last[-1], columns)
        if least is not None and gap < least - _CELL_PADDING:
            if _gap(table[-2], row) <= 0:
                break  # level with the row before the last: no table's
            last += row  # the row's next cells, or a cell's next lines
            taken[-1] += 1
        elif (
            gap > 0
            and column <= last_column
            # Under the first row, any row but a list's number: a list under a lone row.
            and (
                gap <= 1.5 * least
                if least is not None
                else not _LIST_MARK.fullmatch(row[0].text.strip())
            )
        ):
            if least is not None:
                pitch = least
            table.append(list(row))
            taken.append(1)
        elif least is None and gap <= 0 and column > last_column:
            last += row  # the first row's next cells, drawn apart
            taken[-1] += 1
        else:
            break
    # Lines after the table in its first column only are the text after it.
    while len(table) > 1 and len({_cell_of(line, columns) for line in table[-1]}) == 1:
        table.pop()
        taken.pop()
    if len(table) < 2:
        return None
    if all(len(row) == len(columns) and len({line.height for line in row}) == 1 for row in table):
        return rows[start : start + len(table)], len(table)  # whole rows: nothing to mend
    grid = []
    for row in table:
        cells: list[list[str]] = [[] for _ in columns]
        for line in sorted(row, key=lambda line: -line.height):
            cells[_cell_of(line, columns)].append(line.text.strip())
        top = max(line.height for line in row)
        grid.append([Line(" ".join(cell), top) for cell in cells])
    return grid, sum(taken)


def _gap(above: list[Line], below: list[Line]) -> float:
    """How far the top of a row's lines is under the lowest of the lines above it."""
    return min(line.height for line in above) - max(line.height for line in below)


def _placed(line: Line) -> bool:
    return line.x is not None and line.height is not None and bool(line.text.strip())


def _cell_of(line: Line, columns: list[float]) -> int | None:
    """The column a line starts in, if it fits in it."""
    for index, edge in enumerate(columns):
        if abs(line.x - edge) <= _COLUMN_SLACK:
            width = columns[index + 1] - edge if index + 1 < len(columns) else math.inf
            fits = len(line.text.strip()) * _NARROWEST_CHARACTER <= width
            return index if fits else None
    return None


def _is_field_row(row: list[Line]) -> bool:
    """A form's row: labels printed beside their values ("Date of incident:", "04/06/2024",
    "Time:", "14:35"), read as one line where each cell alone would say nothing."""
    return (
        len(row) >= 2
        and row[0].text.rstrip().endswith(":")
        and not row[1].text.rstrip().endswith(":")
    )


# What a form prints in a ticked box, before the option it ticks.
_TICK = re.compile(r"[Xx✓✔☒☑■]")


def _field_line(row: list[Line]) -> str:
    """ "Date of incident: 04/06/2024 | Time: 14:35"; a ticked box's mark, as a ticked box,
    goes with its option ("Type of incident: ☒ Injury, Near miss")."""
    fields: list[list[str]] = []
    tick = ""
    for line in row:
        text = line.text.strip()
        if not text:
            continue  # an empty cell of a form drawn as a table
        if text.endswith(":"):
            fields.append([text])
        elif _TICK.fullmatch(text):
            tick = "☒ "
        else:
            fields[-1].append(tick + text)
            tick = ""
    return " | ".join(f"{label} {', '.join(values)}".strip() for label, *values in fields)


# What a PDF's bullets read as: reportlab's "•" comes out of pypdf as "\x7f", Word's Symbol
# bullet as a private-use "\uf0b7".
_GLYPHS = "•◦▪▫‣⁃●○◆◇\x7f\uf0a7\uf0b7"
# A list draws its bullet apart from the item, so pypdf often reads it as a line of its own;
# alone there, a dash or the "■" of a glyph the font lacks is a bullet too (in a line, "■"
# may be any character: "■ to Tesla" was "⅓ to Tesla").
_BULLET_ALONE = re.compile(rf"^[ \t]*[{_GLYPHS}■\-–—][ \t]*\n[ \t]*(?=\S)", re.MULTILINE)
_BULLET_OPENING = re.compile(rf"^[ \t]*[{_GLYPHS}][ \t]+", re.MULTILINE)
# A list's number or bullet, read on its own.
_LIST_MARK = re.compile(rf"\d{{1,3}}[.)]?|[{_GLYPHS}■\-–—]")


def _mark_bullets(text: str) -> str:
    """A bulleted item's line opens with "• ", as the other loaders write it, so chunking knows
    it for a list's item and an answer quotes no bare glyph."""
    return _BULLET_OPENING.sub(f"{BULLET} ", _BULLET_ALONE.sub(f"{BULLET} ", text))


# A numbered item's number, which pypdf reads on a line of its own for the same reason, and
# the start of the item's text.
_BARE_NUMBER = re.compile(r"^[ \t]*(\d{1,3})([.)]?)[ \t]*\n[ \t]*(?=\S)", re.MULTILINE)


def _number_items(pages: list[str]) -> list[str]:
    """A numbered item's number joined to its text ("6" over "Cut the tubing": "6. Cut the
    tubing"), so chunking knows the steps for a list and "What's step 6?" finds its step.

    Only a number that the bare number before it counts on to, or that counts on to the one
    after, over page breaks too, and before a capital: a lone page number, or a table's cell
    over its unit ("2" over "kg"), stays on its line.
    """
    found = [
        (page, match)
        for page, text in enumerate(pages)
        for match in _BARE_NUMBER.finditer(text)
        if text[match.end()].isupper()
    ]
    counted: set[tuple[int, int]] = set()
    for (page, match), (next_page, next_match) in pairwise(found):
        if int(next_match[1]) == int(match[1]) + 1:
            counted |= {(page, match.start()), (next_page, next_match.start())}

    def join(page: int, match: re.Match[str]) -> str:
        if (page, match.start()) not in counted:
            return match[0]
        return f"{match[1]}{match[2] or '.'} "

    return [_BARE_NUMBER.sub(partial(join, page), text) for page, text in enumerate(pages)]


# A PDF's running headers, footers and page numbers are printed in the top and bottom rows of a
# page, at the same height on at least this share of its pages.
_EDGE_ROWS = 2
_FURNITURE_SHARE = 0.4
_NUMBER = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class PageFurniture:
    """A PDF's running headers, footers and page numbers.

    Left in, a footer is read into the sentence a page break cuts, quoted in answers and
    matched by searches. A line is furniture when it is printed in the top or bottom rows of a
    page and recurs there on many pages: word for word at the same height ("Annual Report
    2024"), or with a number that counts the pages ("- 3 -"; "Page 3 of 12" at any height, as
    text flowed onto pages puts it right under a short page's last line). A title page's title
    that the header repeats is printed elsewhere, so it stays.
    """

    repeated: frozenset[tuple[str, int | None]]  # plain lines and their heights
    counting: frozenset[tuple[str, int | None]]  # with their numbers as "#" (see _counting)

    @classmethod
    def find(cls, pages: list[list[Line]]) -> PageFurniture:
        needed = max(2, math.ceil(_FURNITURE_SHARE * len(pages)))
        same: Counter[tuple[str, int | None]] = Counter()
        numbered: dict[tuple[str, int | None], Counter[int]] = {}
        for index, page in enumerate(pages):
            keys = {_key(page[i]) for i in _edge_lines(page)}
            same.update(keys)
            for text, counting in {(text, _counting(text, height)) for text, height in keys}:
                # The offsets from this page's index at which the line's numbers would count
                # pages.
                offsets = {int(n) - index for n in _NUMBER.findall(text)[:4]}
                numbered.setdefault(counting, Counter()).update(offsets)
        return cls(
            repeated=frozenset(key for key, count in same.items() if count >= needed),
            counting=frozenset(
                key
                for key, offsets in numbered.items()
                if max(offsets.values(), default=0) >= needed
            ),
        )

    def strip(self, pages: list[list[Line]]) -> list[str]:
        stripped = []
        for page in pages:
            edge = _edge_lines(page)
            stripped.append(
                "\n".join(
                    line.text
                    for i, line in enumerate(page)
                    if i not in edge or not self._is_furniture(line)
                ).strip()
            )
        return stripped

    def running_title(self, pages: list[list[Line]]) -> str | None:
        """The running header atop the first page that has one: what a printed report calls
        itself.

        Wanted when the PDF's metadata has no usable title: the first line left after the
        furniture is often the body's first sentence, or the title line the header repeats
        was dropped with it.
        """
        for page in pages:
            edge = sorted(_edge_lines(page), key=lambda i: (-_row(page, i), i))
            if edge and _key(top := page[edge[0]]) in self.repeated:
                return usable_title(top.text)
        return None

    def _is_furniture(self, line: Line) -> bool:
        text, height = _key(line)
        return (text, height) in self.repeated or _counting(text, height) in self.counting


def _edge_lines(page: list[Line]) -> set[int]:
    """Indices of the non-blank lines in a page's top and bottom few rows."""
    filled = [i for i, line in enumerate(page) if line.text.strip()]
    rows = sorted({_row(page, i) for i in filled})
    edge = {*rows[:_EDGE_ROWS], *rows[-_EDGE_ROWS:]}
    return {i for i in filled if _row(page, i) in edge}


def _row(page: list[Line], index: int) -> float:
    """How high a line is printed: lines of unknown height are a row each, in reading order."""
    height = page[index].height
    return -index if height is None else round(height)


def _counting(text: str, height: int | None) -> tuple[str, int | None]:
    """A line that may count pages, its numbers as "#", and its height if that must match
    too: a number alone ("3") could be any figure, "Page 3 of 12" hardly."""
    return _NUMBER.sub("#", text), None if _LETTER.search(text) else height


def _key(line: Line) -> tuple[str, int | None]:
    return _plain(line.text), None if line.height is None else round(line.height)


def _plain(line: str) -> str:
    return " ".join(line.lower().split())
