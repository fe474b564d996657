"""Ingest files and folders: load, chunk, embed, store; one outcome line per file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tqdm.auto import tqdm

from qa_bot.chunking import Span, chunk_document
from qa_bot.errors import DocumentError, UnsupportedFileError
from qa_bot.loaders import LoadedDocument, iter_files, load_document
from qa_bot.store import DocumentStore

# Titles up to this many characters are embedded with each chunk.
MAX_PREFIX_TITLE = 80

Status = Literal["added", "replaced", "unchanged", "failed", "skipped"]


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: Status
    chunks: int = 0
    message: str = ""

    def line(self) -> str:
        name = Path(self.path).name
        if self.status in ("failed", "skipped"):
            return f"{name}: {self.message}, skipped"
        plural = "" if self.chunks == 1 else "s"
        detail = f" ({self.chunks} chunk{plural})" if self.chunks else ""
        return f"{name}: {self.status}{detail}"


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "skipped")]

    def summary(self) -> str:
        counts = self.counts
        parts = [
            f"{counts[s]} {s}" for s in ("added", "replaced", "unchanged", "failed", "skipped")
        ]
        return ", ".join(part for part in parts if not part.startswith("0 ")) or "no files"


def ingest_paths(
    paths: Iterable[str | Path], store: DocumentStore, *, show_progress: bool = True
) -> IngestReport:
    """Ingest every supported file under paths; bad files are reported, never fatal."""
    report = IngestReport()
    files: list[Path] = []
    for raw in paths:
        if not Path(raw).exists():
            report.outcomes.append(
                FileOutcome(str(raw), "failed", message="no such file or folder")
            )
        else:
            files.extend(iter_files([raw]))
    with store.writing():
        for path in tqdm(files, desc="Ingesting", unit="file", disable=not show_progress):
            report.outcomes.append(ingest_file(path, store))
    return report


def ingest_file(path: Path, store: DocumentStore) -> FileOutcome:
    try:
        document = load_document(path)
    except UnsupportedFileError as exc:
        return FileOutcome(str(path), "skipped", message=exc.reason)
    except DocumentError as exc:
        return FileOutcome(str(path), "failed", message=exc.reason)
    if store.is_current(document):
        return FileOutcome(str(path), "unchanged")
    return FileOutcome(
        str(path), _embed_and_store(document, store), chunks=_last_chunk_count(store, document)
    )


def _embed_and_store(document: LoadedDocument, store: DocumentStore) -> Status:
    settings = store.settings
    chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    # A short title is embedded with each chunk: a passage rarely repeats what its document is
    # about. A long "title" is really a first sentence (a headline, a dateline) and only dilutes
    # every chunk's vector, so it is left out.
    prefix = f"{document.title}\n" if len(document.title) <= MAX_PREFIX_TITLE else ""
    texts = [prefix + chunk.text for chunk in chunks]
    spans = [
        tuple(Span(s.start + len(prefix), s.end + len(prefix)) for s in chunk.sentences)
        for chunk in chunks
    ]
    chunk_vectors, sentence_vectors = store.embedder.embed_with_sentences(texts, spans)
    return store.put(document, chunks, chunk_vectors, sentence_vectors)  # type: ignore[return-value]


def _last_chunk_count(store: DocumentStore, document: LoadedDocument) -> int:
    info = store.find(document.source)
    return info.chunks if info else 0
