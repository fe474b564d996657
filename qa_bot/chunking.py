"""Split document text into sentences, and sentences into chunks that keep their offsets.

Chunks end on sentence boundaries so that every cited passage reads as whole sentences, and a
chunk never spans two PDF pages, so its page number is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from qa_bot.loaders import LoadedDocument

# Tokens that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft no nos vs etc e.g i.e cf al fig figs eq approx dept est
    inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec gen col lt sgt capt rev
    gov sen rep pres u.s u.k u.n a.m p.m ca c vol pp ed eds
    """.split()
)
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+)""")
_LINE_BREAK = re.compile(r"\n+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: text[start:end], its sentences (relative offsets) and page."""

    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]
    page: int | None = None


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans in text (absolute when offset is given), trimmed of whitespace."""
    spans: list[Span] = []
    for line_start, line_end in _lines(text):
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


def chunk_document(document: LoadedDocument, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Pack consecutive sentences into chunks of at most chunk_size characters."""
    regions = (
        [(page.page, page.start, page.end) for page in document.pages]
        if document.pages
        else [(None, 0, len(document.text))]
    )
    chunks: list[Chunk] = []
    for page, start, end in regions:
        sentences = split_sentences(document.text[start:end], offset=start)
        pieces = [
            piece for span in sentences for piece in _split_long(document.text, span, chunk_size)
        ]
        for group in _pack(pieces, chunk_size, chunk_overlap):
            first, last = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    index=len(chunks),
                    start=first,
                    end=last,
                    text=document.text[first:last],
                    sentences=tuple(Span(s.start - first, s.end - first) for s in group),
                    page=page,
                )
            )
    return chunks


def _lines(text: str) -> Iterator[tuple[int, int]]:
    cursor = 0
    for match in _LINE_BREAK.finditer(text):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, len(text)


def _is_abbreviation(text: str, sentence_start: int, period_at: int) -> bool:
    if text[period_at] != ".":
        return False
    word_start = period_at
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:period_at].lstrip("(\"'“‘").lower()
    # Single letters are initials ("J. R. R. Tolkien").
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


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
