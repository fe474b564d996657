"""The embedding backends against each other: torch, and the float32 and int8 ONNX exports."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from qa_bot.chunking import Span
from qa_bot.config import Settings
from qa_bot.embeddings import OnnxEncoder, SentenceEmbedder, make_embedder
from qa_bot.errors import ConfigError
from qa_bot.ingest import ingest_paths
from qa_bot.runtime import open_runtime
from tests.conftest import SAMPLE_DOC

TEXTS = [
    "The Khunjerab Pass opened all year round. Trade between the two countries grew.",
    "Wang Yi and Mohammad Ishaq Dar co-chaired the dialogue in Beijing.",
    "Penguins live in Antarctica.",
]
SPANS = [(Span(0, 41), Span(42, 80)), (Span(0, 66),), (Span(0, 28),)]


@pytest.fixture(scope="module")
def onnx_embedder(tmp_path_factory: pytest.TempPathFactory) -> SentenceEmbedder:
    cache = tmp_path_factory.mktemp("cache")
    return make_embedder(Settings(embedding_backend="onnx-int8", cache_dir=cache))


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceEmbedder:
    return make_embedder(Settings(embedding_backend="torch"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_the_default_backend_gives_torchs_vectors(
    embedder: SentenceEmbedder, torch_embedder: SentenceEmbedder
) -> None:
    assert (embedder.backend, torch_embedder.backend) == ("onnx", "torch")
    chunks, sentences = torch_embedder.embed_with_sentences(TEXTS, SPANS)
    chunks32, sentences32 = embedder.embed_with_sentences(TEXTS, SPANS)
    assert np.allclose(chunks32, chunks, atol=1e-5)
    for full, exported in zip(sentences, sentences32, strict=True):
        assert exported.shape == full.shape
        assert np.allclose(exported, full, atol=1e-5)
    question = "Who co-chaired the dialogue?"
    assert np.allclose(
        embedder.query_vector(question), torch_embedder.query_vector(question), atol=1e-5
    )
    assert np.allclose(embedder.embed_documents(TEXTS), chunks, atol=1e-5)


def test_int8_vectors_stay_close_to_torch(
    torch_embedder: SentenceEmbedder, onnx_embedder: SentenceEmbedder
) -> None:
    embedder = torch_embedder
    assert onnx_embedder.backend == "onnx-int8"
    chunks, sentences = embedder.embed_with_sentences(TEXTS, SPANS)
    chunks8, sentences8 = onnx_embedder.embed_with_sentences(TEXTS, SPANS)
    assert chunks8.shape == chunks.shape
    assert _cosines(chunks, chunks8).min() > 0.98
    for full, quantised in zip(sentences, sentences8, strict=True):
        assert quantised.shape == full.shape
        assert _cosines(full, quantised).min() > 0.98
    assert np.allclose(np.linalg.norm(chunks8, axis=1), 1.0, atol=1e-5)
    query = np.asarray(embedder.embed_query("Who co-chaired the dialogue?"))
    query8 = onnx_embedder.query_vector("Who co-chaired the dialogue?")
    assert float(query @ query8) > 0.98
    # The whole-chunk vectors come from the same pooling either way.
    assert np.allclose(onnx_embedder.embed_documents(TEXTS), chunks8, atol=1e-5)
    # Ranking is what matters: the dialogue question finds the dialogue text with both.
    assert int(np.argmax(chunks8 @ query8)) == int(np.argmax(chunks @ query)) == 1


def test_export_is_made_once_and_reused(tmp_path: Path, embedder: SentenceEmbedder) -> None:
    OnnxEncoder(embedder.model, tmp_path, quantize=False)
    (exported,) = (tmp_path / "onnx").glob("*.onnx")
    assert exported.name.endswith("-fp32.onnx")
    made = exported.stat().st_mtime_ns
    OnnxEncoder(embedder.model, tmp_path, quantize=False)
    assert [p.name for p in (tmp_path / "onnx").glob("*.onnx")] == [exported.name]
    assert exported.stat().st_mtime_ns == made


def test_unwritable_cache_is_a_clear_error(tmp_path: Path, embedder: SentenceEmbedder) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="QA_BOT_CACHE_DIR"):
        OnnxEncoder(embedder.model, blocker)
    with pytest.raises(ConfigError, match="QA_BOT_CACHE_DIR"):
        make_embedder(Settings(embedding_backend="onnx-int8", cache_dir=blocker))


def test_default_backend_falls_back_to_torch_without_a_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="qa_bot.embeddings"):
        fallback = make_embedder(Settings(embedding_backend="onnx", cache_dir=blocker))
    assert fallback.backend == "torch"
    assert "QA_BOT_CACHE_DIR" in caplog.text and "embedding with torch instead" in caplog.text


def test_models_not_mean_pooled_are_refused(embedder: SentenceEmbedder, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, models

    transformer = embedder.model[0]
    cls_pooled = SentenceTransformer(
        modules=[transformer, models.Pooling(embedder.dimension, pooling_mode="cls")]
    )
    with pytest.raises(ConfigError, match="mean-pooled models only"):
        OnnxEncoder(cls_pooled, tmp_path)


def test_switching_to_int8_re_embeds_the_documents(
    tmp_path: Path,
    embedder: SentenceEmbedder,
    torch_embedder: SentenceEmbedder,
    onnx_embedder: SentenceEmbedder,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / SAMPLE_DOC.name).write_bytes(SAMPLE_DOC.read_bytes())
    settings = Settings(persist_dir=tmp_path / "store", documents_dir=docs)
    runtime = open_runtime(settings, embedder=embedder)
    assert ingest_paths([docs], runtime.store, show_progress=False).counts == {"added": 1}
    # torch and the float32 export give the same vectors: switching between them keeps the store.
    torch_runtime = open_runtime(
        settings.with_overrides(embedding_backend="torch"), embedder=torch_embedder
    )
    assert ingest_paths([docs], torch_runtime.store, show_progress=False).counts == {"unchanged": 1}
    onnx_runtime = open_runtime(
        settings.with_overrides(embedding_backend="onnx-int8"), embedder=onnx_embedder
    )
    report = ingest_paths([docs], onnx_runtime.store, show_progress=False)
    assert report.counts == {"replaced": 1}
    assert ingest_paths([docs], onnx_runtime.store, show_progress=False).counts == {"unchanged": 1}
    answer = onnx_runtime.chain.invoke(
        {"question": "What did they say about the Khunjerab Pass?", "history": []}
    )
    assert "Khunjerab" in answer.text and "[1]" in answer.text
