"""Answerers: turn a question and its retrieved chunks into an Answer with citations.

The default is extractive: the answer is the best-supported sentence(s) of the retrieved chunks,
each followed by its marker, so every word of it can be checked against the source.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig

from qa_bot.answers import NOT_FOUND, Answer, Source
from qa_bot.embeddings import SentenceEmbedder, unpack_vectors
from qa_bot.keyword import analyse


@dataclass(frozen=True)
class ScoredSentence:
    doc_index: int
    start: int
    end: int
    text: str
    similarity: float
    overlap: float
    score: float


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic model over retrieval and sentence signals -> P(the documents answer this).

    The weights come from `qa-bot eval --calibrate` on in- and out-of-corpus questions.
    """

    bias: float = -6.0
    top_dense: float = 7.0
    sentence_similarity: float = 4.0
    overlap: float = 3.0

    def __call__(self, top_dense: float, sentence_similarity: float, overlap: float) -> float:
        z = (
            self.bias
            + self.top_dense * top_dense
            + self.sentence_similarity * sentence_similarity
            + self.overlap * overlap
        )
        return 1.0 / (1.0 + math.exp(-z))


class ExtractiveAnswerer(Runnable[dict[str, Any], Answer]):
    """{"question", "standalone", "docs"} -> Answer, quoting the documents verbatim."""

    name = "extractive_answerer"

    def __init__(
        self,
        embedder: SentenceEmbedder,
        threshold: float,
        confidence: ConfidenceModel | None = None,
        max_sentences: int = 2,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.confidence = confidence or ConfidenceModel()
        self.max_sentences = max_sentences

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        return self._call_with_config(self._answer, input, config)

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Answer]:
        answer = self.invoke(input, config)
        # The answer exists at once; streaming it word by word keeps the chat's feel uniform
        # with generative backends.
        words = answer.text.split(" ")
        for count in range(4, len(words), 4):
            yield answer.partial(" ".join(words[:count]))
        yield answer

    def _answer(self, inputs: dict[str, Any]) -> Answer:
        question: str = inputs["question"]
        standalone: str = inputs.get("standalone") or question
        docs: list[Document] = list(inputs.get("docs") or [])
        sources = [Source.from_document(i + 1, doc) for i, doc in enumerate(docs)]
        if not docs:
            return Answer(question, standalone, NOT_FOUND, abstained=True)
        scored = score_sentences(self.embedder, standalone, docs)
        best = scored[0] if scored else None
        top_dense = max(float(doc.metadata.get("score_dense", 0.0)) for doc in docs)
        confidence = self.confidence(
            top_dense,
            best.similarity if best else 0.0,
            best.overlap if best else 0.0,
        )
        if best is None or confidence < self.threshold:
            return Answer(
                question, standalone, NOT_FOUND, tuple(sources), confidence, abstained=True
            )
        chosen = [best]
        for candidate in scored[1 : self.max_sentences + 3]:
            if len(chosen) >= self.max_sentences:
                break
            if candidate.score >= 0.9 * best.score and not _overlaps(candidate, chosen):
                chosen.append(candidate)
        parts = []
        highlights: dict[int, tuple[int, int]] = {}
        for sentence in chosen:
            parts.append(f"{sentence.text} [{sentence.doc_index + 1}]")
            highlights.setdefault(sentence.doc_index, (sentence.start, sentence.end))
        sources = [
            Source(**{**source.__dict__, "highlight": highlights.get(i)})
            for i, source in enumerate(sources)
        ]
        return Answer(question, standalone, " ".join(parts), tuple(sources), confidence)


def score_sentences(
    embedder: SentenceEmbedder, query: str, docs: list[Document]
) -> list[ScoredSentence]:
    """Every sentence of the chunks, best first: similarity to the query plus shared terms."""
    query_vector = embedder.query_vector(query)
    query_terms = set(analyse([query])[0])
    candidates: list[tuple[int, int, int, str, float]] = []
    for doc_index, doc in enumerate(docs):
        spans = json.loads(doc.metadata.get("sentences", "[]"))
        packed = doc.metadata.get("sentence_vectors")
        vectors = (
            unpack_vectors(packed, len(query_vector))
            if packed
            else np.zeros((0, len(query_vector)))
        )
        for (start, end), vector in zip(spans, vectors, strict=False):
            text = doc.page_content[start:end]
            candidates.append((doc_index, start, end, text, float(np.dot(query_vector, vector))))
    if not candidates:
        return []
    terms = analyse([c[3] for c in candidates])
    scored = []
    for (doc_index, start, end, text, similarity), sentence_terms in zip(
        candidates, terms, strict=True
    ):
        overlap = len(query_terms & set(sentence_terms)) / len(query_terms) if query_terms else 0.0
        rank_prior = 1.0 / (doc_index + 2)
        score = similarity + 0.5 * overlap + 0.1 * rank_prior
        scored.append(ScoredSentence(doc_index, start, end, text, similarity, overlap, score))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def _overlaps(candidate: ScoredSentence, chosen: list[ScoredSentence]) -> bool:
    return any(c.text == candidate.text for c in chosen)
