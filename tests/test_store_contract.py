"""One contract for the document store, run against embedded Chroma and a real Chroma server."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from qa_bot.chain import build_retriever
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.ingest import ingest_paths
from qa_bot.references import Reference
from qa_bot.store import DocumentStore

FERRY = (
    "The Harwick ferry leaves the north pier at seven every morning. "
    "Tickets for the Harwick ferry are sold at the kiosk beside the pier. "
    "In winter the crossing takes forty minutes because of the ice."
)
LIBRARY = (
    "The Ostrava reading room opens at nine on weekdays. "
    "Rare maps may be consulted only with a Quetzalcoatlus pass issued by the archivist. "
    "Photography without flash is allowed in the reading room."
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


class StoreContract:
    """Behaviour every store backend must show; subclasses provide `store_settings`."""

    @pytest.fixture
    def store_settings(self, tmp_path: Path) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def store(self, store_settings: Settings, embedder: SentenceEmbedder) -> DocumentStore:
        return DocumentStore(store_settings, embedder)

    def test_ingest_and_list(self, store: DocumentStore, tmp_path: Path) -> None:
        write(tmp_path / "in", "ferry.txt", FERRY)
        write(tmp_path / "in", "library.txt", LIBRARY)
        report = ingest_paths([tmp_path / "in"], store, show_progress=False)
        assert report.counts == {"added": 2}
        assert [info.file_name for info in store.documents()] == ["ferry.txt", "library.txt"]
        assert store.chunk_count() == sum(info.chunks for info in store.documents()) > 0

    def test_unchanged_file_is_skipped(self, store: DocumentStore, tmp_path: Path) -> None:
        path = write(tmp_path / "in", "ferry.txt", FERRY)
        ingest_paths([path], store, show_progress=False)
        assert ingest_paths([path], store, show_progress=False).counts == {"unchanged": 1}

    def test_replace_swaps_every_chunk(self, store: DocumentStore, tmp_path: Path) -> None:
        path = write(tmp_path / "in", "ferry.txt", FERRY)
        ingest_paths([path], store, show_progress=False)
        old_key = store.documents()[0].version_key
        path.write_text(FERRY.replace("seven", "eight"), encoding="utf-8")
        assert ingest_paths([path], store, show_progress=False).counts == {"replaced": 1}
        info = store.documents()[0]
        assert info.version_key != old_key
        stored = store._chunks.get(include=["metadatas", "documents"])
        assert {meta["version_key"] for meta in stored["metadatas"]} == {info.version_key}
        assert all("seven" not in text for text in stored["documents"])

    def test_matching_finds_a_clause_by_its_number(
        self, store: DocumentStore, tmp_path: Path
    ) -> None:
        """What neither search side can find: the chunk where a line opens with "3.2"."""
        path = write(tmp_path / "in", "terms.txt", "3.1. Prices exclude VAT.\n3.2. Pay in 30 days.")
        write(tmp_path / "in", "ferry.txt", FERRY + " Fares rose 3.2 percent.")
        ingest_paths([tmp_path / "in"], store, show_progress=False)
        pattern = Reference("3.2").pattern
        (hit,) = store.matching(pattern, 10)
        assert hit.startswith(store.find(str(path)).doc_id)
        path.write_text("3.1. Prices exclude VAT.\n3.2. Pay in 60 days.", encoding="utf-8")
        ingest_paths([path], store, show_progress=False)
        ((doc, _),) = store.get(store.matching(pattern, 10))
        assert "60 days" in doc.page_content  # the replaced version's chunk is gone
        assert store.matching(Reference("3.3").pattern, 10) == []

    def test_remove_deletes_chunks_and_keywords(self, store: DocumentStore, tmp_path: Path) -> None:
        path = write(tmp_path / "in", "library.txt", LIBRARY)
        ingest_paths([path], store, show_progress=False)
        assert store.keyword_search("Quetzalcoatlus pass", 3)
        removed = store.remove(store.documents()[0].doc_id)
        assert removed is not None and removed.file_name == "library.txt"
        assert store.documents() == []
        assert store._chunks.count() == 0
        assert store.keyword_search("Quetzalcoatlus pass", 3) == []
        assert store.remove(removed.doc_id) is None

    def test_hybrid_retrieval_uses_both_signals(
        self, store: DocumentStore, store_settings: Settings, tmp_path: Path
    ) -> None:
        write(tmp_path / "in", "ferry.txt", FERRY)
        write(tmp_path / "in", "library.txt", LIBRARY)
        ingest_paths([tmp_path / "in"], store, show_progress=False)
        retriever = build_retriever(store_settings, store)
        docs = retriever.invoke("Who issues the Quetzalcoatlus pass?")
        assert docs[0].metadata["file_name"] == "library.txt"
        assert docs[0].metadata["score_bm25"] > 0 and docs[0].metadata["score_dense"] > 0
        assert retriever.invoke("When does the boat depart?")[0].metadata["file_name"] == (
            "ferry.txt"
        )

    def test_a_second_store_sees_writes(
        self,
        store: DocumentStore,
        store_settings: Settings,
        embedder: SentenceEmbedder,
        tmp_path: Path,
    ) -> None:
        """A replica (own client; with a server, own keyword cache folder) catches up."""
        local = {"persist_dir": tmp_path / "replica"} if store_settings.chroma_url else {}
        replica = DocumentStore(store_settings.with_overrides(sync_interval=0, **local), embedder)
        assert replica.documents() == []
        ingest_paths([write(tmp_path / "in", "library.txt", LIBRARY)], store, show_progress=False)
        assert [info.file_name for info in replica.documents()] == ["library.txt"]
        assert replica.keyword_search("Quetzalcoatlus", 3)
        store.remove(store.documents()[0].doc_id)
        assert replica.documents() == []
        assert replica.keyword_search("Quetzalcoatlus", 3) == []


class TestEmbeddedStore(StoreContract):
    @pytest.fixture
    def store_settings(self, tmp_path: Path) -> Settings:
        return Settings(persist_dir=tmp_path / "store")


class TestServerStore(StoreContract):
    @pytest.fixture
    def store_settings(self, tmp_path: Path, chroma_url: str) -> Settings:
        # One server for the session: each test gets its own collection.
        return Settings(
            persist_dir=tmp_path / "store",
            chroma_url=chroma_url,
            collection=f"t{uuid.uuid4().hex[:12]}",
        )

    def test_no_write_lock_file(self, store: DocumentStore, tmp_path: Path) -> None:
        ingest_paths([write(tmp_path / "in", "ferry.txt", FERRY)], store, show_progress=False)
        assert not list((tmp_path / "store").glob("*.lock"))

    def test_fresh_unregistered_chunks_survive_another_writer(
        self, store: DocumentStore, tmp_path: Path
    ) -> None:
        """Another replica's in-flight write (chunks stored, record not yet) is not an orphan;
        chunks left unregistered for over an hour (a crashed writer) are."""
        now = time.time()
        for chunk_id, ingested_at in (("inflight", now), ("crashed", now - 7200)):
            store._chunks.add(
                ids=[chunk_id],
                embeddings=[[0.1] * store.embedder.dimension],
                documents=["x"],
                metadatas=[{"doc_id": chunk_id, "version_key": "v", "ingested_at": ingested_at}],
            )
        ingest_paths([write(tmp_path / "in", "ferry.txt", FERRY)], store, show_progress=False)
        remaining = set(store._chunks.get(ids=["inflight", "crashed"], include=[])["ids"])
        assert remaining == {"inflight"}
