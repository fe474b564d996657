"""A document as the loaders give it: plain text that remembers where it came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class PageSpan:
    """Characters [start, end) of the document text came from this 1-based page."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class LoadedDocument:
    source: str
    title: str
    text: str
    content_hash: str
    pages: tuple[PageSpan, ...] = field(default=())

    @property
    def file_name(self) -> str:
        return Path(self.source).name


# What a format's extractor gives: the text, its own title if it has one, and its pages.
Extracted = tuple[str, str | None, tuple[PageSpan, ...]]
Extractor = Callable[[Path, bytes], Extracted]
