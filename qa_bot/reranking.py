"""Sentence reranking: a cross-encoder reads the question and each top sentence together.

The scorer in sentences.py compares precomputed vectors and terms, so it cannot tell "the
sentence about the same thing" from "the sentence that answers": a cross-encoder sees both texts
at once. It only reorders the scorer's few best sentences, adding its logit (times the weight it
was tuned with) to their scores, so a sentence the scorer ranked far down is never chosen.

The built-in model is all-MiniLM-L6-v2 fine-tuned as a cross-encoder on squad-dev questions,
int8 ONNX, run by onnxruntime; `benchmarks/train_reranker.py` rebuilds it and
qa_bot/models/sentence-reranker/README.md says how it was trained and measured.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.embeddings import open_onnx_session
from qa_bot.errors import ConfigError

BUILTIN = Path(__file__).parent / "models" / "sentence-reranker"
# How much of the text before a sentence (in its chunk) the model reads with it, in characters:
# enough to resolve "it" or "he" to the subject of the previous sentence.
CONTEXT_CHARS = 120


@dataclass(frozen=True)
class Candidate:
    """One sentence to rerank: its text and the text just before it in its chunk."""

    text: str
    before: str


class SentenceReranker(ABC):
    """Scores (question, sentence) pairs; higher means more likely to hold the answer."""

    # How many of the scorer's best sentences to rerank, and how much the logit counts.
    top: int = 8
    weight: float = 0.1
    # Documents (file names) whose questions trained the model: figures on them are not a test.
    trained_on: frozenset[str] = frozenset()
    # The confidence model calibrated with this reranker's logits (answering.ConfidenceModel's
    # fields), if any.
    confidence: dict[str, float] | None = None

    @abstractmethod
    def logits(self, question: str, candidates: list[Candidate]) -> np.ndarray: ...


class OnnxCrossEncoder(SentenceReranker):
    """A sequence-classification model exported to ONNX, with its tokenizer beside it."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        model = folder / "model.onnx"
        if not model.is_file():
            raise ConfigError(
                f"no reranker model at {model}: set QA_BOT_RERANKER to 'builtin', 'none' "
                "or a folder holding model.onnx, reranker.json and the tokenizer files"
            )
        try:
            meta = json.loads((folder / "reranker.json").read_text(encoding="utf-8"))
            self.top = int(meta["top"])
            self.weight = float(meta["weight"])
            self.max_length = int(meta["max_length"])
            self.trained_on = frozenset(meta.get("trained_on", ()))
            confidence = meta.get("confidence")
            self.confidence = (
                {str(k): float(v) for k, v in confidence.items()} if confidence else None
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{folder / 'reranker.json'}: unreadable ({exc})") from exc
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self._session = open_onnx_session(model)
        self._inputs = [i.name for i in self._session.get_inputs()]

    def logits(self, question: str, candidates: list[Candidate]) -> np.ndarray:
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        encoded = self.tokenizer(
            [question] * len(candidates),
            [pair_text(c) for c in candidates],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="np",
        )
        feed = {name: np.asarray(encoded[name], dtype=np.int64) for name in self._inputs}
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32).reshape(-1)


def pair_text(candidate: Candidate) -> str:
    """What the model reads beside the question; training and use must build it alike."""
    before = candidate.before.strip()[-CONTEXT_CHARS:]
    return f"{candidate.text} || {before}" if before else candidate.text


def candidate_in(text: str, start: int, end: int) -> Candidate:
    """The sentence text[start:end] with the text before it in its chunk."""
    return Candidate(text[start:end], text[:start].rstrip()[-2 * CONTEXT_CHARS :])


def make_reranker(setting: str) -> SentenceReranker | None:
    """'builtin', 'none', or a folder with a model from benchmarks/train_reranker.py."""
    if setting == "none":
        return None
    return OnnxCrossEncoder(BUILTIN if setting == "builtin" else Path(setting).expanduser())
