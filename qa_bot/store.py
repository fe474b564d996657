"""The document store: chunks and vectors in Chroma, a document registry, and the keyword index.

Writes are ordered so that a crash at any point leaves only whole documents visible:
chunks of a new version are written first, then its registry record, then old chunks are
deleted. Chunks whose version is not in the registry are invisible to search and are
removed when the store is next opened for writing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from filelock import FileLock, Timeout
from langchain_chroma import Chroma
from langchain_core.documents import Document

from qa_bot.chroma_client import cache_slug, open_chroma_client
from qa_bot.chunking import SPLITTING_VERSION, Chunk
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder, pack_vectors
from qa_bot.errors import (
    StoreBusyError,
    StoreError,
    WorkspaceNotEmptyError,
    WorkspaceNotFoundError,
)
from qa_bot.keyword import BM25Index
from qa_bot.loaders import LoadedDocument

_VERSION_KEY = "qa_bot_version"
_ORPHAN_GRACE_SECONDS = 3600.0
_FETCH_BATCH = 5000
REGISTRY_SUFFIX = "-docs"  # the registry collection beside each chunk collection


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    source: str
    file_name: str
    title: str
    chunks: int
    content_hash: str
    version_key: str
    ingested_at: float


def doc_id_for(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def version_key_for(document: LoadedDocument, signature: str) -> str:
    """Changes when the file's bytes or the way it is chunked and embedded change."""
    return hashlib.sha256(f"{document.content_hash}|{signature}".encode()).hexdigest()[:16]


def chunk_id_for(doc_id: str, version_key: str, index: int) -> str:
    return f"{doc_id}-{version_key}-{index:05d}"


def next_chunk_id(chunk_id: str) -> str:
    """The id the chunk after this one in its document has, if there is one."""
    prefix, index = chunk_id.rsplit("-", 1)
    return f"{prefix}-{int(index) + 1:05d}"


class DocumentStore:
    """One Chroma collection of chunks plus its registry and keyword index."""

    def __init__(
        self, settings: Settings, embedder: SentenceEmbedder | None = None, *, create: bool = True
    ) -> None:
        """Without an embedder the store can list and remove documents, but not add or search:
        `qa-bot list` and `remove` need no model loaded. With create False a workspace that
        does not exist raises WorkspaceNotFoundError rather than being created empty."""
        self.settings = settings
        self._embedder = embedder
        self.signature = "|".join(
            (
                settings.embedding_model,
                str(settings.chunk_size),
                str(settings.chunk_overlap),
                f"v{SPLITTING_VERSION}",
            )
        )
        backend = embedder.backend if embedder is not None else settings.embedding_backend
        if backend == "onnx-int8":  # its vectors differ a little: re-embed on a switch
            self.signature += f"|{backend}"
        persist = Path(settings.persist_dir)
        where = settings.chroma_url or persist
        try:
            self._client = open_chroma_client(settings)
            if not create:
                self._client.get_collection(settings.collection + REGISTRY_SUFFIX)
            self._chunks = self._client.get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self._registry = self._client.get_or_create_collection(
                settings.collection + REGISTRY_SUFFIX, embedding_function=None
            )
        except chromadb.errors.NotFoundError as exc:
            raise WorkspaceNotFoundError(
                f"no workspace {settings.collection!r} in {where}; adding documents to it "
                f"creates it (`qa-bot --workspace {settings.collection} ingest FILES`)"
            ) from exc
        except (OSError, ValueError, chromadb.errors.ChromaError) as exc:
            raise StoreError(f"cannot open the store at {where}: {exc}") from exc
        self.vectors = Chroma(
            client=self._client, collection_name=settings.collection, embedding_function=embedder
        )
        self._thread_lock = threading.RLock()
        # A file lock only serialises writers on one machine: with a Chroma server, writers on
        # other machines are not excluded, and the crash-safe write order is what keeps readers
        # consistent (see _remove_orphans for the one step that must then be careful).
        self._file_lock = (
            None
            if settings.chroma_url
            else FileLock(str(persist / f".{settings.collection}.write.lock"), thread_local=False)
        )
        self._keyword = BM25Index(persist / "keyword" / cache_slug(settings) / settings.collection)
        self._documents: dict[str, DocumentInfo] = {}
        self._dirty = False
        self._write_depth = 0
        self._seen_version: str | None = None
        self._loaded = False
        self._checked_at = 0.0
        self.refresh()

    @property
    def embedder(self) -> SentenceEmbedder:
        if self._embedder is None:
            raise StoreError(
                "this store was opened without an embedding model: it can only list "
                "and remove documents"
            )
        return self._embedder

    # --- reading -----------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        self._maybe_refresh()
        return sorted(self._documents.values(), key=lambda info: info.source)

    def find(self, source_or_id: str) -> DocumentInfo | None:
        self._maybe_refresh()
        if source_or_id in self._documents:
            return self._documents[source_or_id]
        resolved = str(Path(source_or_id).resolve())
        return self._documents.get(doc_id_for(resolved))

    def chunk_count(self) -> int:
        return sum(info.chunks for info in self._documents.values())

    def is_current(self, document: LoadedDocument) -> bool:
        info = self._documents.get(doc_id_for(document.source))
        return info is not None and info.version_key == version_key_for(document, self.signature)

    def dense_search(self, vector: Sequence[float], k: int) -> list[tuple[Document, float]]:
        """Nearest chunks with cosine similarity (higher is closer)."""
        self._maybe_refresh()
        if not self._documents:
            return []
        hits = self.vectors.similarity_search_by_vector_with_relevance_scores(
            list(map(float, vector)), k=k
        )
        return [(doc, 1.0 - float(distance)) for doc, distance in hits if self._visible(doc)]

    def keyword_search(self, query: str, k: int) -> list[tuple[str, float]]:
        return self._keyword.search(query, k)

    def matching(self, pattern: str, limit: int) -> list[str]:
        """Ids of chunks whose text matches a regular expression (Rust syntax: no look-around),
        in the store's order. Finds what neither search side can: a clause by its number."""
        self._maybe_refresh()
        if not self._documents:
            return []
        found = self._chunks.get(where_document={"$regex": pattern}, include=[], limit=limit)
        current = {f"{info.doc_id}-{info.version_key}" for info in self._documents.values()}
        return [i for i in found["ids"] if i.rsplit("-", 1)[0] in current]

    def get(self, ids: Sequence[str], with_embeddings: bool = False) -> list[tuple[Document, Any]]:
        """Chunks by id, in the order asked, with their vectors when asked."""
        if not ids:
            return []
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        found = self._chunks.get(ids=list(ids), include=include)
        embeddings = found.get("embeddings")
        by_id = {
            chunk_id: (
                Document(id=chunk_id, page_content=text, metadata=meta or {}),
                embeddings[i] if with_embeddings and embeddings is not None else None,
            )
            for i, (chunk_id, text, meta) in enumerate(
                zip(found["ids"], found["documents"], found["metadatas"], strict=True)
            )
        }
        return [by_id[i] for i in ids if i in by_id and self._visible(by_id[i][0])]

    def _visible(self, doc: Document) -> bool:
        info = self._documents.get(doc.metadata.get("doc_id", ""))
        return info is not None and info.version_key == doc.metadata.get("version_key")

    # --- writing -----------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock for a batch of changes; rebuild the keyword index once at the end."""
        with self._thread_lock:
            lock = self._file_lock
            try:
                if lock is not None:
                    lock.acquire(timeout=0)
            except Timeout as exc:
                raise StoreBusyError(
                    f"another process is writing to {self.settings.persist_dir} "
                    f"(lock file {lock.lock_file}); wait for it to finish, or run a Chroma "
                    "server and set QA_BOT_CHROMA_URL for several writers"
                ) from exc
            self._write_depth += 1
            try:
                if self._write_depth == 1:
                    self.refresh()  # another process may have written since we last looked
                    self._remove_orphans()
                yield
            finally:
                self._write_depth -= 1
                if self._write_depth == 0 and self._dirty:
                    self._dirty = False
                    self._bump_version()
                if lock is not None:
                    lock.release()

    def put(
        self,
        document: LoadedDocument,
        chunks: list[Chunk],
        chunk_vectors: np.ndarray,
        sentence_vectors: list[np.ndarray],
    ) -> str:
        """Store one whole document, replacing any older version; returns 'added' or 'replaced'."""
        doc_id = doc_id_for(document.source)
        version_key = version_key_for(document, self.signature)
        previous = self._documents.get(doc_id)
        now = round(time.time(), 3)  # survives Chroma's metadata round trip exactly
        ids = [chunk_id_for(doc_id, version_key, chunk.index) for chunk in chunks]
        metadatas = [
            self._chunk_metadata(document, chunk, doc_id, version_key, len(chunks), now, vectors)
            for chunk, vectors in zip(chunks, sentence_vectors, strict=True)
        ]
        with self.writing():
            batch = self._client.get_max_batch_size()
            for start in range(0, len(ids), batch):
                end = start + batch
                self._chunks.upsert(
                    ids=ids[start:end],
                    embeddings=chunk_vectors[start:end],
                    metadatas=metadatas[start:end],
                    documents=[chunk.text for chunk in chunks[start:end]],
                )
            info = DocumentInfo(
                doc_id=doc_id,
                source=document.source,
                file_name=document.file_name,
                title=document.title,
                chunks=len(chunks),
                content_hash=document.content_hash,
                version_key=version_key,
                ingested_at=now,
            )
            self._registry.upsert(
                ids=[doc_id], embeddings=[[1.0]], metadatas=[_registry_metadata(info)]
            )
            self._documents[doc_id] = info
            self._dirty = True
            self._chunks.delete(
                where={"$and": [{"doc_id": doc_id}, {"version_key": {"$ne": version_key}}]}
            )
        return "replaced" if previous is not None else "added"

    def remove(self, source_or_id: str) -> DocumentInfo | None:
        info = self.find(source_or_id)
        if info is None:
            return None
        with self.writing():
            self._registry.delete(ids=[info.doc_id])
            self._documents.pop(info.doc_id, None)
            self._dirty = True
            self._chunks.delete(where={"doc_id": info.doc_id})
        return info

    def delete_empty(self) -> None:
        """Drop the collections and keyword index of a store that holds no document.

        Refused with WorkspaceNotEmptyError while any document is registered (checked under the
        write lock, so an upload from another session cannot slip in between): deleting a
        workspace never loses a document. The store object is unusable afterwards.
        """
        with self.writing():
            if self._documents:
                count = len(self._documents)
                raise WorkspaceNotEmptyError(
                    f"workspace {self.settings.collection!r} holds {count} "
                    f"document{'' if count == 1 else 's'}: remove them first"
                )
            try:
                self._client.delete_collection(self.settings.collection + REGISTRY_SUFFIX)
                self._client.delete_collection(self.settings.collection)
            except (ValueError, chromadb.errors.ChromaError) as exc:
                raise StoreError(
                    f"cannot delete workspace {self.settings.collection!r}: {exc}"
                ) from exc
            self._dirty = False  # nothing is left to bump a version on
            if self._keyword.folder is not None:
                shutil.rmtree(self._keyword.folder, ignore_errors=True)
        if self._file_lock is not None:
            Path(self._file_lock.lock_file).unlink(missing_ok=True)

    def refresh(self) -> None:
        """Catch up with writes by other processes: reload the registry and, if Chroma's version
        changed, rebuild the keyword index from the chunks Chroma stores.

        Raises WorkspaceNotFoundError once another process (a replica on the same Chroma
        server) has deleted the workspace: its collections are gone, and so is what this
        process kept of it (its keyword index)."""
        with self._thread_lock:
            self._checked_at = time.monotonic()
            try:
                version = self._current_version()
                if self._loaded and version == self._seen_version:
                    return
                self._load_registry()
                self.sync_keyword_index(version)
            except chromadb.errors.NotFoundError as exc:
                self._documents, self._loaded = {}, False
                if self._keyword.folder is not None:
                    shutil.rmtree(self._keyword.folder, ignore_errors=True)
                raise WorkspaceNotFoundError(
                    f"workspace {self.settings.collection!r} was deleted by another process; "
                    "adding documents to it creates it anew"
                ) from exc
            self._seen_version, self._loaded = version, True

    def exists(self) -> bool:
        """False once the workspace has been deleted by another process; checked with Chroma at
        most every settings.sync_interval seconds, like every read."""
        try:
            self._maybe_refresh()
        except WorkspaceNotFoundError:
            return False
        return self._loaded

    def _maybe_refresh(self) -> None:
        """refresh() at most every settings.sync_interval seconds, never blocking a reader."""
        if time.monotonic() - self._checked_at < self.settings.sync_interval:
            return
        if not self._thread_lock.acquire(blocking=False):
            return  # a write or refresh is running; it leaves the store current
        try:
            self.refresh()
        finally:
            self._thread_lock.release()

    def _current_version(self) -> str | None:
        metadata = self._client.get_collection(self.settings.collection).metadata or {}
        return metadata.get(_VERSION_KEY)

    def sync_keyword_index(self, version: str | None = None) -> None:
        """Rebuild the keyword index if Chroma changed since it was built (crash, other writer)."""
        version = version or self._current_version()
        if self._keyword.version == version or (version is None and len(self._keyword) == 0):
            return
        # The registry names every visible chunk (ids encode document, version and index), so
        # only their texts are fetched: no metadata, whose sentence vectors are most of the bytes.
        titles = {}
        for info in self._documents.values():
            for index in range(info.chunks):
                titles[chunk_id_for(info.doc_id, info.version_key, index)] = info.title
        wanted = list(titles)
        ids, texts = [], []
        for start in range(0, len(wanted), _FETCH_BATCH):
            page = self._chunks.get(ids=wanted[start : start + _FETCH_BATCH], include=["documents"])
            for chunk_id, text in zip(page["ids"], page["documents"], strict=True):
                ids.append(chunk_id)
                texts.append(_keyword_text(titles[chunk_id], text or ""))
        self._keyword.build(ids, texts, version or "")

    def _bump_version(self) -> None:
        version = uuid.uuid4().hex
        self._chunks.modify(metadata={_VERSION_KEY: version})
        self.sync_keyword_index(version)
        self._seen_version = version

    def _load_registry(self) -> None:
        found = self._registry.get(include=["metadatas"])
        documents = {
            doc_id: DocumentInfo(doc_id=doc_id, **meta)
            for doc_id, meta in zip(found["ids"], found["metadatas"], strict=True)
            if meta
        }
        # Swapped whole: readers in other threads never see a half-built registry.
        self._documents = documents

    def _remove_orphans(self) -> None:
        """Delete chunks of versions no registry record names (left by an interrupted write).

        With a Chroma server another replica may be writing right now, its new chunks not yet
        registered: there, only chunks older than an hour count as orphans.
        """
        keys = [info.version_key for info in self._documents.values()]
        where: dict[str, Any] | None = {"version_key": {"$nin": keys}} if keys else None
        if self.settings.chroma_url:
            old = {"ingested_at": {"$lt": time.time() - _ORPHAN_GRACE_SECONDS}}
            where = {"$and": [where, old]} if where else old
        orphans = self._chunks.get(where=where, include=[])["ids"]
        if orphans:
            self._chunks.delete(ids=orphans)
            self._dirty = True

    @staticmethod
    def _chunk_metadata(
        document: LoadedDocument,
        chunk: Chunk,
        doc_id: str,
        version_key: str,
        total: int,
        now: float,
        sentence_vectors: np.ndarray,
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "source": document.source,
            "file_name": document.file_name,
            "title": document.title,
            "doc_id": doc_id,
            "version_key": version_key,
            "content_hash": document.content_hash,
            "chunk_index": chunk.index,
            "n_chunks": total,
            "start": chunk.start,
            "end": chunk.end,
            "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
            "leads": json.dumps(chunk.leads),
            "sentence_vectors": pack_vectors(sentence_vectors),
            "ingested_at": now,
        }
        if chunk.page is not None:
            meta["page"] = chunk.page
        if chunk.last_page is not None and chunk.last_page != chunk.page:
            meta["last_page"] = chunk.last_page
        return meta


def _registry_metadata(info: DocumentInfo) -> dict[str, Any]:
    return {
        "source": info.source,
        "file_name": info.file_name,
        "title": info.title,
        "chunks": info.chunks,
        "content_hash": info.content_hash,
        "version_key": info.version_key,
        "ingested_at": info.ingested_at,
    }


def _keyword_text(title: str, text: str) -> str:
    return f"{title}\n{text}" if title else text
