"""The typed result of a question: answer text with [n] markers, and the sources they point to.

UI, CLI and API all render this one object; nothing downstream parses citation strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from langchain_core.documents import Document


def not_found(what: str = "that") -> str:
    """How an answer declines: "I can't find clause 9 in your documents." names what it can't
    find, when the question named it."""
    return f"I can't find {what} in your documents."


def is_declined(text: str) -> bool:
    """Whether an answer's text is one that declined (a conversation's turns keep only text)."""
    return text.startswith("I can't find ") and text.endswith(" in your documents.")


NOT_FOUND = not_found()
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Source:
    """A retrieved chunk, numbered as the answer's markers number it."""

    number: int
    chunk_id: str
    source: str
    file_name: str
    title: str
    page: int | None
    start: int
    end: int
    text: str
    score: float
    # The supporting sentence, as offsets into `text`, when the answer cites this chunk.
    highlight: tuple[int, int] | None = None
    # Part of the highlight left unmarked: a list's items between its lead-in and the cited
    # item, which the answer shows as "…". Marked, the cited line hid among them.
    gap: tuple[int, int] | None = None
    # The page the chunk ends on: the next one when its last sentence runs on over a page break.
    last_page: int | None = None
    # The answer's further sentences from this chunk: each quoted sentence is marked in its source.
    more: tuple[tuple[int, int], ...] = ()

    @property
    def location(self) -> str:
        """Where the chunk is, to the character: for the terminal and the API."""
        return f"{self.file_name}{self._pages}, chars {self.start}-{self.end}"

    @property
    def label(self) -> str:
        """Where the chunk is, as a reader names it: the document's title beside its file (a
        wiki export's "98231.html" says nothing; "VPN setup (old, 2021)" does), and the page."""
        stem = self.file_name.rsplit(".", 1)[0]
        titled = self.title and _squashed(self.title) != _squashed(stem)
        named = f"{_shortened(self.title)} · {self.file_name}" if titled else self.file_name
        return f"{named}{self._pages}"

    @property
    def _pages(self) -> str:
        if self.page is None:
            return ""
        if self.last_page in (None, self.page):
            return f", page {self.page}"
        return f", pages {self.page}-{self.last_page}"

    @property
    def supporting_sentence(self) -> str | None:
        return " … ".join(self.text[a:b].strip() for a, b in self.marked) or None

    @property
    def marked(self) -> list[tuple[int, int]]:
        """The spans of `text` to mark, in order: the highlight without its gap, and the further
        sentences quoted; sentences that follow one another are one span (no "…" between)."""
        if not self.highlight:
            return []
        start, end = self.highlight
        spans = [(start, end)] if not self.gap else [(start, self.gap[0]), (self.gap[1], end)]
        merged: list[tuple[int, int]] = []
        for span in sorted(span for span in [*spans, *self.more] if span[1] > span[0]):
            if merged and not self.text[merged[-1][1] : span[0]].strip():
                merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
            else:
                merged.append(span)
        return merged

    @classmethod
    def from_document(cls, number: int, doc: Document) -> Source:
        meta = doc.metadata
        page = meta.get("page")
        last_page = meta.get("last_page", page)
        return cls(
            number=number,
            chunk_id=str(doc.id or meta.get("chunk_id", "")),
            source=str(meta.get("source", "")),
            file_name=str(meta.get("file_name", "")),
            title=str(meta.get("title", "")),
            page=int(page) if page is not None else None,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            text=doc.page_content,
            score=float(meta.get("score_rrf", 0.0)),
            last_page=int(last_page) if last_page is not None else None,
        )


@dataclass(frozen=True)
class CitationCheck:
    """What checking a generated answer's citations found (extractive answers carry none)."""

    sentences: int  # sentences the model wrote
    unsupported: int  # of which no cited (or retrieved) chunk supports
    markers: int  # citation markers the model wrote
    invalid_markers: int  # of which named no retrieved chunk, and were removed
    fell_back: bool = False  # nothing was supported: the answer shown is the extractive one


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_query: str
    text: str
    sources: tuple[Source, ...] = ()
    confidence: float = 0.0
    abstained: bool = False
    notice: str | None = None
    final: bool = True
    # Sentences of a generated answer that no cited source supports: shown flagged, never grounded.
    unsupported: tuple[str, ...] = field(default=())
    check: CitationCheck | None = None

    @property
    def cited_numbers(self) -> list[int]:
        """Marker numbers in order of first appearance."""
        seen: list[int] = []
        for match in _MARKER.finditer(self.text):
            number = int(match.group(1))
            if number not in seen:
                seen.append(number)
        return seen

    @property
    def citations(self) -> list[Source]:
        by_number = {source.number: source for source in self.sources}
        return [by_number[n] for n in self.cited_numbers if n in by_number]

    def partial(self, text: str) -> Answer:
        """A streaming snapshot carrying the text so far."""
        return replace(self, text=text, final=False)


# A label shows this much of a long title (a news report's headline), to a word's end.
LABEL_TITLE_CHARS = 60


def _shortened(title: str) -> str:
    if len(title) <= LABEL_TITLE_CHARS:
        return title
    return title[: title.rfind(" ", 0, LABEL_TITLE_CHARS + 1)].rstrip(" ,;:—–-") + "…"


def _squashed(name: str) -> str:
    """A name without case, spaces or punctuation: "VPN-setup" is the title "VPN setup"."""
    return "".join(char for char in name.casefold() if char.isalnum())
