"""Split document text into sentences, and sentences into chunks that keep their offsets.

Chunks end on sentence boundaries so that every cited passage reads as whole sentences. A chunk
holds the sentences that begin on one PDF page; only a sentence that a page break cuts runs on
into the next page, and the chunk's last_page then says so.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby, pairwise

from qa_bot.loaders import PAGE_SEPARATOR, LoadedDocument, PageSpan

# Part of every stored document's version: a change to how text splits re-chunks the stored
# copy at its next ingest (3: a line break that only wraps text no longer ends a sentence;
# 4: a PDF's running headers and footers are dropped, and a page break can fall in a sentence;
# 5: a placeholder title such as "untitled", embedded with every chunk, gives way to the running
# header or the first line; a .docx's tables are read in place; HTML reads a table a row a line
# and a paragraph, heading or list item as a paragraph; Markdown is read without its markup;
# 6: a .docx's tracked insertions, content controls, text boxes, footnotes and tables in cells
# are read, and a table's header row is found by its style or its "repeat as header row"; a
# saved web page is read without its menus, banners, hidden parts and the site's name in its
# title; an ordered list's items keep their numbers, and a clause number such as "4.1." or
# "iv." opens its sentence).
SPLITTING_VERSION = 6

# Tokens that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft no nos vs etc e.g i.e cf al fig figs eq approx dept est
    inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec gen col lt sgt capt rev
    gov sen rep pres u.s u.k u.n a.m p.m ca c vol pp ed eds
    """.split()
)
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+)""")
_NEWLINE = re.compile("\n")
_HYPHEN_BREAK = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=\w)")
# A line ending like this is not continued by the next one.
_LINE_END = re.compile(r"""[.!?…:]["'”’)\]]*\s*$""")
# Lines that stand alone: markdown headings and table rows.
_BLOCK_LINE = re.compile(r"\s*[#|]")
# The start of a list item: a bullet, or a number or letter with "." or ")".
_BULLET = re.compile(r"\s*[-*+•‣◦▪–—>]\s")
_NUMBERED = re.compile(r"\s*(?:(?:\d{1,3}|[a-zA-Z])[.)]|\(\w{1,3}\))\s")
# A line shorter than this share of its paragraph's longest line is not wrapped text but a
# heading, a caption, or the end of a paragraph.
_WRAPPED_WIDTH = 0.6
# Lines joined at most without a sentence ending in them: a longer run is not wrapped prose but
# a table, a log or code, whose lines read better alone than as one endless sentence.
_MAX_WRAPPED_LINES = 10


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: text[start:end], its sentences (relative offsets) and the
    pages it starts and ends on."""

    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]
    page: int | None = None
    last_page: int | None = None


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans in text (absolute when offset is given), trimmed of whitespace."""
    spans: list[Span] = []
    for line_start, line_end in _segments(text):
        cursor = line_start
        for match in _SENTENCE_END.finditer(text, line_start, line_end):
            end = match.end()
            if _is_abbreviation(text, cursor, match.start()) or not _next_starts_sentence(
                text, end, line_end
            ):
                continue
            _append_trimmed(spans, text, cursor, end, offset)
            cursor = end
        _append_trimmed(spans, text, cursor, line_end, offset)
    return spans


def one_line(text: str) -> str:
    """A sentence as it reads, to quote it: its line breaks become spaces, and a word
    hyphenated at a line break is one word again ("all-\nweather": "all-weather")."""
    return " ".join(_HYPHEN_BREAK.sub("-", text).split())


def chunk_document(document: LoadedDocument, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Pack consecutive sentences into chunks of at most chunk_size characters."""
    sentences = split_sentences(_joined_pages(document))
    pieces = [piece for span in sentences for piece in _split_long(document.text, span, chunk_size)]
    page_at = _page_finder(document.pages)
    chunks: list[Chunk] = []
    for page, on_page in groupby(pieces, key=lambda span: page_at(span.start)):
        for group in _pack(list(on_page), chunk_size, chunk_overlap):
            first, last = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    index=len(chunks),
                    start=first,
                    end=last,
                    text=document.text[first:last],
                    sentences=tuple(Span(s.start - first, s.end - first) for s in group),
                    page=page,
                    last_page=page_at(last - 1),
                )
            )
    return chunks


def _joined_pages(document: LoadedDocument) -> str:
    """The text to split, with each break between pages a single line break (and a space, to
    keep every offset), so a sentence a page break cuts reads on as on paper."""
    text, parts, cursor = document.text, [], 0
    for before, after in pairwise(document.pages):
        if text[before.end : after.start] == PAGE_SEPARATOR:
            parts += [text[cursor : before.end], "\n" + " " * (len(PAGE_SEPARATOR) - 1)]
            cursor = after.start
    parts.append(text[cursor:])
    return "".join(parts)


def _page_finder(pages: tuple[PageSpan, ...]) -> Callable[[int], int | None]:
    """offset -> the page holding text[offset] (None for a document without pages)."""
    starts = [page.start for page in pages]

    def page_at(offset: int) -> int | None:
        if not pages:
            return None
        return pages[max(bisect.bisect_right(starts, offset) - 1, 0)].page

    return page_at


def _segments(text: str) -> Iterator[tuple[int, int]]:
    """Spans between the line breaks that end a sentence.

    A blank line always does; a single break does unless the text only wraps there, as PDF
    text and hard-wrapped files do at every line. Otherwise each line of a paragraph would be
    quoted as a sentence of its own.
    """
    lines = _line_spans(text)
    paragraph: list[tuple[int, int]] = []
    for start, end in [*lines, (len(text), len(text))]:
        if text[start:end].strip():
            paragraph.append((start, end))
            continue
        if paragraph:
            yield from _unwrap(text, paragraph)
            paragraph = []


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _NEWLINE.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return spans


def _unwrap(text: str, lines: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    texts = [text[start:end] for start, end in lines]
    width = max(len(line.strip()) for line in texts)
    start, first, unended = lines[0][0], texts[0], 0
    for (_, end), (next_start, _), line, next_line in zip(
        lines, lines[1:], texts, texts[1:], strict=False
    ):
        unended = 0 if _SENTENCE_END.search(line) else unended + 1
        if unended >= _MAX_WRAPPED_LINES or not _wraps(first, line, next_line, width):
            yield start, end
            start, first, unended = next_start, next_line, 0
    yield start, lines[-1][1]


def _wraps(first: str, line: str, next_line: str, width: int) -> bool:
    """Whether next_line continues the sentence in line, the last line of a segment that
    began with first."""
    if _BLOCK_LINE.match(line) or _BLOCK_LINE.match(next_line) or _BULLET.match(next_line):
        return False
    if _NUMBERED.match(next_line) and (_NUMBERED.match(first) or _BULLET.match(first)):
        return False
    if ending := _LINE_END.search(line):
        # As within a line, a period after an abbreviation ("Dr.") or before lower case ends
        # nothing; a colon ends a lead-in.
        return ending.group().startswith(".") and (
            _is_abbreviation(line, 0, ending.start())
            or not _next_starts_sentence(next_line, 0, len(next_line))
        )
    # No sentence or heading starts in lower case.
    return next_line.lstrip()[:1].islower() or len(line.strip()) >= _WRAPPED_WIDTH * width


# A list item's or clause's number: "2", "4.1", "12.3.4", or a Roman numeral up to 39.
_LIST_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})*|x{0,3}(?:ix|iv|v?i{0,3})")


def _is_abbreviation(text: str, sentence_start: int, period_at: int) -> bool:
    if text[period_at] != ".":
        return False
    word_start = period_at
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:period_at].lstrip("(\"'“‘").lower()
    # Single letters are initials ("J. R. R. Tolkien"); a number opening a sentence numbers a
    # list item or a clause ("2. Bake it", "4.1. The Buyer", "iv. Rest").
    list_number = bool(word) and _LIST_NUMBER.fullmatch(word) is not None
    list_number = list_number and not text[sentence_start:word_start].strip()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or list_number


def _next_starts_sentence(text: str, end: int, line_end: int) -> bool:
    index = end
    while index < line_end and text[index].isspace():
        index += 1
    if index >= line_end:
        return True
    char = text[index]
    return char.isupper() or char.isdigit() or char in "\"'“‘([—-"


def _append_trimmed(spans: list[Span], text: str, start: int, end: int, offset: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start + offset, end + offset))


def _split_long(text: str, span: Span, limit: int) -> list[Span]:
    """Break a sentence longer than limit at word boundaries (tables, run-on lists)."""
    if span.end - span.start <= limit:
        return [span]
    pieces: list[Span] = []
    start = span.start
    while span.end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        pieces.append(Span(start, cut))
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if start < span.end:
        pieces.append(Span(start, span.end))
    return pieces


def _pack(sentences: list[Span], size: int, overlap: int) -> Iterator[list[Span]]:
    group: list[Span] = []
    for sentence in sentences:
        if group and sentence.end - group[0].start > size:
            yield group
            group = _tail(group, overlap, size - (sentence.end - sentence.start))
        group.append(sentence)
    if group:
        yield group


def _tail(group: list[Span], overlap: int, room: int) -> list[Span]:
    """Trailing sentences of the last chunk to repeat, at most `overlap` characters."""
    tail: list[Span] = []
    budget = min(overlap, room)
    for sentence in reversed(group):
        if group[-1].end - sentence.start > budget:
            break
        tail.insert(0, sentence)
    return tail
