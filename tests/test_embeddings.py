"""The embedding backends: torch as loaded, and the int8 ONNX export, against each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_bot.chunking import Span
from qa_bot.config import Settings
from qa_bot.embeddings import OnnxInt8Encoder, SentenceEmbedder, make_embedder
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


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_int8_vectors_stay_close_to_torch(
    embedder: SentenceEmbedder, onnx_embedder: SentenceEmbedder
) -> None:
    assert (embedder.backend, onnx_embedder.backend) == ("torch", "onnx-int8")
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
    OnnxInt8Encoder(embedder.model, tmp_path)
    (exported,) = (tmp_path / "onnx").glob("*.onnx")
    made = exported.stat().st_mtime_ns
    OnnxInt8Encoder(embedder.model, tmp_path)
    assert [p.name for p in (tmp_path / "onnx").glob("*.onnx")] == [exported.name]
    assert exported.stat().st_mtime_ns == made


def test_unwritable_cache_is_a_clear_error(tmp_path: Path, embedder: SentenceEmbedder) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="QA_BOT_CACHE_DIR"):
        OnnxInt8Encoder(embedder.model, blocker)


def test_models_not_mean_pooled_are_refused(embedder: SentenceEmbedder, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, models

    transformer = embedder.model[0]
    cls_pooled = SentenceTransformer(
        modules=[transformer, models.Pooling(embedder.dimension, pooling_mode="cls")]
    )
    with pytest.raises(ConfigError, match="mean-pooled models only"):
        OnnxInt8Encoder(cls_pooled, tmp_path)


def test_switching_backend_re_embeds_the_documents(
    tmp_path: Path, embedder: SentenceEmbedder, onnx_embedder: SentenceEmbedder
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / SAMPLE_DOC.name).write_bytes(SAMPLE_DOC.read_bytes())
    settings = Settings(persist_dir=tmp_path / "store", documents_dir=docs)
    torch_runtime = open_runtime(settings, embedder=embedder)
    assert ingest_paths([docs], torch_runtime.store, show_progress=False).counts == {"added": 1}
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
