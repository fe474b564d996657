"""Ingest files and folders: load, chunk, embed, store; one outcome line per file."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from tqdm.auto import tqdm

from qa_bot.chunking import Chunk, Span, chunk_document
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.errors import DocumentError, UnsupportedFileError
from qa_bot.loaders import LoadedDocument, iter_files, load_document
from qa_bot.sandbox import SandboxWorkers
from qa_bot.store import DocumentStore

# Titles up to this many characters are embedded with each chunk.
MAX_PREFIX_TITLE = 80

# Files parsed at once, and parsed files waiting for the model: enough to keep it busy.
_PARSERS = 2
_PARSE_AHEAD = 8
# Chunks of several small files embedded in one call: the model runs full, length-sorted batches.
_EMBED_BATCH = 128

_T = TypeVar("_T")
_Vectors = tuple[np.ndarray, list[np.ndarray]]
_Job = tuple[int, LoadedDocument, list[Chunk]]

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
    """Ingest every supported file under paths; bad files are reported, never fatal.

    A pipeline: the next files are parsed (PDF, Word and HTML in kept child processes) while a
    batch of files is embedded and the batch before is written, so parsing, the model and Chroma
    overlap. Writes stay in file order on this thread, which holds the store's write lock.
    """
    report = IngestReport()
    files: list[Path] = []
    for raw in paths:
        if not Path(raw).exists():
            report.outcomes.append(
                FileOutcome(str(raw), "failed", message="no such file or folder")
            )
        else:
            files.extend(iter_files([raw]))
    outcomes: list[FileOutcome | None] = [None] * len(files)
    # Small files are embedded together, so the model gets full batches: (index, document,
    # chunks) waiting for a batch, and batches being embedded, oldest first.
    waiting: list[_Job] = []
    embedding: deque[tuple[list[_Job], Future[list[_Vectors]]]] = deque()
    progress = tqdm(total=len(files), desc="Ingesting", unit="file", disable=not show_progress)

    def finish(index: int, outcome: FileOutcome) -> None:
        outcomes[index] = outcome
        progress.update(1)

    def submit(model: ThreadPoolExecutor) -> None:
        jobs = list(waiting)
        waiting.clear()
        embedding.append((jobs, model.submit(_embed_many, jobs, store.embedder)))

    def write_oldest() -> None:
        jobs, vectors = embedding.popleft()
        for (index, document, chunks), (chunk_vectors, sentence_vectors) in zip(
            jobs, vectors.result(), strict=True
        ):
            status = store.put(document, chunks, chunk_vectors, sentence_vectors)
            finish(index, FileOutcome(str(files[index]), status, chunks=len(chunks)))  # type: ignore[arg-type]

    with (
        progress,
        store.writing(),
        SandboxWorkers() as workers,
        ThreadPoolExecutor(_PARSERS, thread_name_prefix="qa-bot-parse") as parsers,
        ThreadPoolExecutor(1, thread_name_prefix="qa-bot-embed") as model,
    ):
        load = partial(_load, workers=workers)
        for index, loaded in enumerate(_read_ahead(parsers, load, files, _PARSE_AHEAD)):
            if isinstance(loaded, FileOutcome):
                finish(index, loaded)
            elif store.is_current(loaded):
                finish(index, FileOutcome(str(files[index]), "unchanged"))
            else:
                chunks = chunk_document(
                    loaded, store.settings.chunk_size, store.settings.chunk_overlap
                )
                waiting.append((index, loaded, chunks))
                if sum(len(job[2]) for job in waiting) >= _EMBED_BATCH:
                    submit(model)
            while len(embedding) > 1 or (embedding and embedding[0][1].done()):
                write_oldest()
        if waiting:
            submit(model)
        while embedding:
            write_oldest()
    report.outcomes.extend(outcome for outcome in outcomes if outcome is not None)
    return report


def ingest_file(path: Path, store: DocumentStore) -> FileOutcome:
    loaded = _load(path)
    if isinstance(loaded, FileOutcome):
        return loaded
    if store.is_current(loaded):
        return FileOutcome(str(path), "unchanged")
    settings = store.settings
    chunks = chunk_document(loaded, settings.chunk_size, settings.chunk_overlap)
    ((chunk_vectors, sentence_vectors),) = _embed_many([(0, loaded, chunks)], store.embedder)
    status = store.put(loaded, chunks, chunk_vectors, sentence_vectors)
    return FileOutcome(str(path), status, chunks=len(chunks))  # type: ignore[arg-type]


def _load(path: Path, workers: SandboxWorkers | None = None) -> LoadedDocument | FileOutcome:
    try:
        return load_document(path, workers=workers)
    except UnsupportedFileError as exc:
        return FileOutcome(str(path), "skipped", message=exc.reason)
    except DocumentError as exc:
        return FileOutcome(str(path), "failed", message=exc.reason)


def _read_ahead(
    pool: ThreadPoolExecutor, work: Callable[[Path], _T], items: list[Path], depth: int
) -> Iterator[_T]:
    """pool.map with at most `depth` results waiting, so a large folder is not held in memory."""
    pending: deque[Future[_T]] = deque()
    for item in items:
        pending.append(pool.submit(work, item))
        if len(pending) > depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _embed_many(jobs: list[_Job], embedder: SentenceEmbedder) -> list[_Vectors]:
    """Each document's vectors, from one call to the model for all of them."""
    texts, spans = [], []
    for _, document, chunks in jobs:
        document_texts, document_spans = _model_inputs(document, chunks)
        texts += document_texts
        spans += document_spans
    chunk_vectors, sentence_vectors = embedder.embed_with_sentences(texts, spans)
    results, start = [], 0
    for _, _, chunks in jobs:
        end = start + len(chunks)
        results.append((chunk_vectors[start:end], sentence_vectors[start:end]))
        start = end
    return results


def _model_inputs(
    document: LoadedDocument, chunks: list[Chunk]
) -> tuple[list[str], list[tuple[Span, ...]]]:
    # A short title is embedded with each chunk: a passage rarely repeats what its document is
    # about. A long "title" is really a first sentence (a headline, a dateline) and only dilutes
    # every chunk's vector, so it is left out.
    prefix = f"{document.title}\n" if len(document.title) <= MAX_PREFIX_TITLE else ""
    texts = [prefix + chunk.text for chunk in chunks]
    spans = [
        tuple(Span(s.start + len(prefix), s.end + len(prefix)) for s in chunk.sentences)
        for chunk in chunks
    ]
    return texts, spans
