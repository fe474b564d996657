"""PDF files: text a page at a time, without the running headers and footers."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import CorruptDocumentError, EmptyDocumentError, EncryptedDocumentError
from qa_bot.loaders.document import PAGE_SEPARATOR, Extracted, PageSpan
from qa_bot.loaders.text import normalise_newlines
from qa_bot.loaders.titles import usable_title


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
        raw = [normalise_newlines(page.extract_text() or "").strip() for page in reader.pages]
        furniture = PageFurniture.find(raw)
        texts = furniture.strip(raw)
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


# A PDF's running headers, footers and page numbers are among the first and last lines of a
# page, and recur on at least this share of its pages.
_EDGE_LINES = 2
_FURNITURE_SHARE = 0.4
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class PageFurniture:
    """A PDF's running headers, footers and page numbers.

    Left in, a footer is read into the sentence a page break cuts, quoted in answers and
    matched by searches. A line is furniture when it is among the first or last lines of a
    page and recurs there on many pages: word for word ("Annual Report 2024"), or with a number
    that counts the pages ("Page 3 of 12", "- 3 -").
    """

    repeated: frozenset[str]  # plain lines
    counting: frozenset[str]  # plain lines with their numbers as "#"

    @classmethod
    def find(cls, pages: list[str]) -> PageFurniture:
        needed = max(2, math.ceil(_FURNITURE_SHARE * len(pages)))
        same: Counter[str] = Counter()
        numbered: dict[str, Counter[int]] = {}
        for index, page in enumerate(pages):
            page_lines = page.split("\n")
            texts = {_plain(page_lines[i]) for i in _edge_lines(page_lines)}
            same.update(texts)
            for text in texts:
                # The offsets from this page's index at which the line's numbers would count
                # pages.
                offsets = {int(n) - index for n in _NUMBER.findall(text)[:4]}
                numbered.setdefault(_NUMBER.sub("#", text), Counter()).update(offsets)
        return cls(
            repeated=frozenset(text for text, count in same.items() if count >= needed),
            counting=frozenset(
                key
                for key, offsets in numbered.items()
                if max(offsets.values(), default=0) >= needed
            ),
        )

    def strip(self, pages: list[str]) -> list[str]:
        stripped = []
        for page in pages:
            page_lines = page.split("\n")
            edge = _edge_lines(page_lines)
            stripped.append(
                "\n".join(
                    line
                    for i, line in enumerate(page_lines)
                    if i not in edge or not self._is_furniture(line)
                ).strip()
            )
        return stripped

    def running_title(self, pages: list[str]) -> str | None:
        """The running header atop the first page: what a printed report calls itself.

        Wanted when the PDF's metadata has no usable title: the first line left after the
        furniture is often the body's first sentence, or the title line the header repeats
        was dropped with it.
        """
        first = next((page for page in pages if page.strip()), "")
        top = next((line for line in first.split("\n") if line.strip()), "")
        return usable_title(top) if _plain(top) in self.repeated else None

    def _is_furniture(self, line: str) -> bool:
        plain = _plain(line)
        return plain in self.repeated or _NUMBER.sub("#", plain) in self.counting


def _edge_lines(lines: list[str]) -> set[int]:
    """Indices of a page's first and last few non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return {*filled[:_EDGE_LINES], *filled[-_EDGE_LINES:]}


def _plain(line: str) -> str:
    return " ".join(line.lower().split())
