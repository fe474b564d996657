"""Turn a file into plain text that remembers where it came from (title, pages, offsets)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa_bot.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    UnsupportedFileError,
)
from qa_bot.loaders.document import PAGE_SEPARATOR, Extractor, LoadedDocument, PageSpan
from qa_bot.loaders.markup import extract_html, extract_md
from qa_bot.loaders.pdf import extract_pdf
from qa_bot.loaders.text import extract_txt
from qa_bot.loaders.titles import title_from_text, usable_title
from qa_bot.loaders.word import extract_docx
from qa_bot.sandbox import (
    SANDBOXED_SUFFIXES,
    ParseLimits,
    SandboxWorkers,
    check_zip_package,
    extract_sandboxed,
)

__all__ = [
    "PAGE_SEPARATOR",
    "Extractor",
    "LoadedDocument",
    "PageSpan",
    "extractor_for",
    "iter_files",
    "load_document",
    "supported_suffixes",
]


def load_document(
    path: str | Path, limits: ParseLimits | None = None, workers: SandboxWorkers | None = None
) -> LoadedDocument:
    """Read one supported file; raise a DocumentError naming the file and the reason.

    PDF, .docx, HTML and Markdown are parsed in a child process bounded by `limits`
    (qa_bot.sandbox): one of `workers` when given (a folder's worth of files), else a new one.
    """
    path = Path(path)
    extractor = extractor_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise EmptyDocumentError(str(path), "empty file")
    if path.suffix.lower() == ".docx":
        check_zip_package(path, data)
    try:
        if path.suffix.lower() in SANDBOXED_SUFFIXES:
            if workers is not None:
                text, title, spans = workers.extract(path)
            else:
                text, title, spans = extract_sandboxed(path, limits or ParseLimits())
            pages = tuple(PageSpan(*span) for span in spans)
        else:
            text, title, pages = extractor(path, data)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on damaged input
        raise CorruptDocumentError(
            str(path), f"cannot parse ({type(exc).__name__}: {exc})"
        ) from exc
    if not text.strip():
        raise EmptyDocumentError(str(path), "no extractable text")
    return LoadedDocument(
        source=str(path.resolve()),
        title=(usable_title(title) or title_from_text(text) or path.stem)[:200],
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        pages=pages,
    )


def extractor_for(path: Path) -> Extractor:
    extractor = _EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise UnsupportedFileError(str(path), f"unsupported file type '{path.suffix or '(none)'}'")
    return extractor


def supported_suffixes() -> tuple[str, ...]:
    return tuple(sorted(_EXTRACTORS))


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files under the given paths: folders recursively, hidden entries skipped, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield path


_EXTRACTORS: dict[str, Extractor] = {
    ".txt": extract_txt,
    ".md": extract_md,
    ".markdown": extract_md,
    ".html": extract_html,
    ".htm": extract_html,
    ".pdf": extract_pdf,
    ".docx": extract_docx,
}
