"""Ingest, re-ingest, replace and remove against real Chroma on disk with the real model."""

import json
from pathlib import Path

import numpy as np
import pytest

from qa_bot import keyword
from qa_bot import store as store_module
from qa_bot.chunking import SPLITTING_VERSION
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.errors import StoreError
from qa_bot.ingest import MAX_PREFIX_TITLE, ingest_paths
from qa_bot.runtime import Runtime, open_runtime
from qa_bot.store import DocumentStore
from tests.factories import make_pdf


def _all_chunk_ids(runtime: Runtime) -> list[str]:
    return sorted(runtime.store._chunks.get(include=[])["ids"])


def test_reingest_unchanged_writes_nothing(sample_runtime: Runtime, tmp_path: Path) -> None:
    before = _all_chunk_ids(sample_runtime)
    version = sample_runtime.store._chunks.metadata
    report = ingest_paths([tmp_path / "docs"], sample_runtime.store, show_progress=False)
    assert report.counts == {"unchanged": 1}
    assert _all_chunk_ids(sample_runtime) == before
    assert sample_runtime.store._chunks.metadata == version


def test_chunks_keep_their_origin(sample_runtime: Runtime, tmp_path: Path) -> None:
    text = (tmp_path / "docs" / "cpec-2.0-strategic-dialogue.txt").read_text(encoding="utf-8")
    found = sample_runtime.store._chunks.get(include=["documents", "metadatas"])
    assert len(found["ids"]) > 5
    for chunk_id, chunk, meta in zip(
        found["ids"], found["documents"], found["metadatas"], strict=True
    ):
        assert text[meta["start"] : meta["end"]] == chunk
        assert meta["file_name"] == "cpec-2.0-strategic-dialogue.txt"
        assert meta["source"].endswith("docs/cpec-2.0-strategic-dialogue.txt")
        assert len(meta["content_hash"]) == 64
        assert chunk_id.startswith(meta["doc_id"])


def test_a_store_split_by_an_older_version_is_rechunked(
    settings: Settings, embedder: SentenceEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wrapped.txt"
    path.write_text(
        "The committee met in Beijing on January 4 and agreed to extend the\n"
        "corridor to Gwadar, with a second phase planned for the spring.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(store_module, "SPLITTING_VERSION", SPLITTING_VERSION - 1)
    old = open_runtime(settings, embedder=embedder)
    assert ingest_paths([path], old.store, show_progress=False).counts == {"added": 1}
    monkeypatch.undo()
    current = open_runtime(settings, embedder=embedder)
    assert ingest_paths([path], current.store, show_progress=False).counts == {"replaced": 1}
    assert ingest_paths([path], current.store, show_progress=False).counts == {"unchanged": 1}


def test_changed_file_leaves_no_stale_chunks(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Zebras live in Africa. " * 40 + "The old fact is mangoes.", encoding="utf-8")
    assert ingest_paths([path], runtime.store, show_progress=False).counts == {"added": 1}
    old_ids = set(_all_chunk_ids(runtime))
    path.write_text("Penguins live in Antarctica. " * 10, encoding="utf-8")
    assert ingest_paths([path], runtime.store, show_progress=False).counts == {"replaced": 1}
    new_ids = set(_all_chunk_ids(runtime))
    assert not old_ids & new_ids
    texts = " ".join(runtime.store._chunks.get(include=["documents"])["documents"])
    assert "mangoes" not in texts and "Penguins" in texts
    assert runtime.store.keyword_search("mangoes", 5) == []
    assert runtime.store.keyword_search("penguins", 5)
    assert [d.chunks for d in runtime.store.documents()] == [len(new_ids)]


def test_remove_deletes_document_everywhere(sample_runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "docs" / "cpec-2.0-strategic-dialogue.txt"
    info = sample_runtime.store.remove(str(path))
    assert info is not None and info.chunks > 0
    assert sample_runtime.store.documents() == []
    assert _all_chunk_ids(sample_runtime) == []
    assert sample_runtime.store.keyword_search("Khunjerab", 5) == []
    assert sample_runtime.store.remove(str(path)) is None


def test_bad_files_are_reported_and_good_ones_ingest(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("Walruses have tusks made of ivory.", encoding="utf-8")
    good_pdf = make_pdf(folder / "fine.pdf", ["Narwhals have one long tooth."])
    (folder / "corrupt.pdf").write_bytes(good_pdf.read_bytes()[:300])
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n")
    report = ingest_paths([folder], runtime.store, show_progress=False)
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["good.txt"].status == "added"
    assert by_name["fine.pdf"].status == "added", by_name["fine.pdf"].line()
    assert by_name["corrupt.pdf"].status == "failed"
    assert by_name["binary.txt"].status == "failed"
    assert by_name["binary.txt"].line() == "binary.txt: binary data, not text, skipped"
    assert by_name["image.png"].status == "skipped"
    assert sorted(d.file_name for d in runtime.store.documents()) == ["fine.pdf", "good.txt"]
    pdf_chunk = runtime.store._chunks.get(where={"file_name": "fine.pdf"}, include=["metadatas"])
    assert pdf_chunk["metadatas"][0]["page"] == 1


def test_interrupted_write_leaves_no_half_document(runtime: Runtime, tmp_path: Path) -> None:
    """Chunks written without their registry record (a crash) are invisible, then cleaned up."""
    store = runtime.store
    store._chunks.upsert(
        ids=["orphan-1"],
        embeddings=[[0.1] * store.embedder.dimension],
        metadatas=[{"doc_id": "nope", "version_key": "half", "source": "/half.txt"}],
        documents=["Half-written document about ostriches."],
    )
    vector = store.embedder.query_vector("ostriches")
    assert store.dense_search(vector, 5) == []
    path = tmp_path / "real.txt"
    path.write_text("Ostriches cannot fly.", encoding="utf-8")
    ingest_paths([path], store, show_progress=False)
    assert "orphan-1" not in _all_chunk_ids(runtime)


def test_store_without_a_model_lists_and_removes_only(
    sample_runtime: Runtime, tmp_path: Path
) -> None:
    """`qa-bot list` and `remove` open the store alone; the full store sees their removal."""
    bare = DocumentStore(sample_runtime.settings)
    assert bare.documents() == sample_runtime.store.documents()
    new = tmp_path / "new.txt"
    new.write_text("Ostriches cannot fly, but they run at seventy kilometres an hour.")
    with pytest.raises(StoreError, match="without an embedding model"):
        ingest_paths([new], bare, show_progress=False)
    assert bare.documents() == sample_runtime.store.documents()  # nothing lost by the refusal
    assert bare.remove(str(tmp_path / "docs" / "cpec-2.0-strategic-dialogue.txt")) is not None
    sample_runtime.store.refresh()
    assert sample_runtime.store.documents() == []
    assert sample_runtime.store.keyword_search("Khunjerab", 5) == []


def test_store_reopens_with_same_documents(sample_runtime: Runtime) -> None:
    reopened = open_runtime(sample_runtime.settings, embedder=sample_runtime.embedder)
    assert reopened.store.documents() == sample_runtime.store.documents()
    assert reopened.store.keyword_search("Khunjerab", 3)


def test_a_keyword_index_of_an_older_analysis_is_rebuilt(sample_runtime: Runtime) -> None:
    # Its terms were analysed as a question no longer is ("I've": "ve"); kept, they would miss.
    folder = sample_runtime.store._keyword.folder
    meta_path = folder / keyword._META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "analysis": 1}), encoding="utf-8")
    reopened = open_runtime(sample_runtime.settings, embedder=sample_runtime.embedder)
    assert reopened.store.keyword_search("Khunjerab", 3)
    rebuilt = json.loads(meta_path.read_text(encoding="utf-8"))
    assert rebuilt["analysis"] == keyword.ANALYSIS_VERSION


def test_files_embedded_together_keep_their_own_vectors(runtime: Runtime, tmp_path: Path) -> None:
    """Small files share one call to the model; each chunk must still get its own vector."""
    folder = tmp_path / "many"
    folder.mkdir()
    topics = ["Penguins nest in Antarctica.", "Volcanoes erupt lava.", "Violins have four strings."]
    for i in range(12):  # more files than one batch of chunks, in several sizes
        text = " ".join(f"{topics[i % 3]} Note {i}.{j}." for j in range(1 + i * 3))
        (folder / f"note-{i:02d}.txt").write_text(text, encoding="utf-8")
    report = ingest_paths([folder], runtime.store, show_progress=False)
    assert report.counts == {"added": 12}
    assert [o.path.endswith(f"note-{i:02d}.txt") for i, o in enumerate(report.outcomes)] == [
        True
    ] * 12
    stored = runtime.store._chunks.get(include=["documents", "metadatas", "embeddings"])
    for text, meta, vector in zip(
        stored["documents"], stored["metadatas"], stored["embeddings"], strict=True
    ):
        title = meta["title"]
        prefix = f"{title}\n" if len(title) <= MAX_PREFIX_TITLE else ""
        expected = runtime.embedder.embed_documents([prefix + text])[0]
        assert float(np.dot(vector, expected)) > 0.999, meta["file_name"]
