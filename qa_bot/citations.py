"""Citations that cannot lie: every [n] of a generated answer is checked against chunk n.

A marker naming a chunk that was not retrieved is removed and counted. Each sentence is then
checked against the chunk(s) it cites: enough of its terms must occur in the chunk, every number
and every name in it must occur there (or in the question), and it must be close in meaning
(embedding similarity) to one of the chunk's sentences, which becomes the highlighted supporting
sentence. The thresholds were set on paraphrases and near-miss falsehoods (a swapped place, date
or party) of the sample document; a negation ("banned" for "open to") still passes, which only an
entailment model would catch. A sentence without a marker
is checked against all retrieved chunks and, when one supports it, gets that chunk's marker; so
every sentence left in the answer points at a passage that says it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from qa_bot.answers import Answer
from qa_bot.chunking import split_sentences
from qa_bot.embeddings import SentenceEmbedder, unpack_vectors
from qa_bot.keyword import analyse

# "[2]", "[1, 3]", "[Document 2]", "[doc 1; 2]": one or more numbers in brackets.
_MARKER_GROUP = re.compile(
    r"(\s*)\[(?:(?:doc(?:ument)?|source|chunk)\s*)?(\d+(?:\s*[,;]\s*(?:(?:doc(?:ument)?|source|chunk)\s*)?\d+)*)\]",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"^(?:\[\d+\])+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A capitalised word that does not start the sentence, or an acronym: a name the chunk must contain.
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'’-]*")


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of a generated answer and what the check found for it."""

    text: str  # as the model wrote it (valid markers only)
    claim: str  # the same without markers
    cited: tuple[int, ...]  # the markers it carried
    supported_by: int | None = None  # the chunk number that supports it
    highlight: tuple[int, int] | None = None  # the supporting sentence, offsets into that chunk
    similarity: float = 0.0
    coverage: float = 0.0

    @property
    def supported(self) -> bool:
        return self.supported_by is not None


@dataclass(frozen=True)
class CheckResult:
    sentences: tuple[SentenceCheck, ...]
    markers: int  # markers the model wrote
    invalid_markers: int  # of which named no retrieved chunk

    @property
    def supported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.supported]

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]


def clean_markers(text: str, count: int) -> tuple[str, int, int]:
    """Text with each marker group rewritten as [a][b], minus numbers outside 1..count.

    Returns the text, the number of markers written and how many of them were invalid.
    """
    total = invalid = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal total, invalid
        numbers = [int(n) for n in re.findall(r"\d+", match.group(2))]
        valid = [n for n in numbers if 1 <= n <= count]
        total += len(numbers)
        invalid += len(numbers) - len(valid)
        if not valid:
            return ""
        return match.group(1) + "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned = _MARKER_GROUP.sub(rewrite, text)
    cleaned = re.sub(r"(?<=[^\s\[\]])\[(\d+)\]", r" [\1]", cleaned)  # "word[1]" -> "word [1]"
    return cleaned, total, invalid


def split_answer(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences with their markers; a marker after the full stop stays with its sentence."""
    sentences: list[str] = []
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        leading = _LEADING_MARKERS.match(sentence)
        if leading and sentences:
            sentences[-1] += leading.group(0)
            sentence = sentence[leading.end() :].strip()
        if sentence:
            sentences.append(sentence)
    return [(s, tuple(dict.fromkeys(int(n) for n in _MARKER.findall(s)))) for s in sentences]


def claim_of(sentence: str) -> str:
    claim = _MARKER.sub("", sentence)
    claim = re.sub(r"\s+([.,;:!?])", r"\1", claim)
    return re.sub(r"\s{2,}", " ", claim).strip()


class CitationChecker:
    """Checks generated sentences against retrieved chunks by terms, numbers and meaning."""

    def __init__(
        self,
        embedder: SentenceEmbedder,
        min_score: float = 0.7,
        min_similarity: float = 0.35,
        min_coverage: float = 0.25,
        min_terms: int = 2,
    ) -> None:
        self.embedder = embedder
        self.min_score = min_score  # similarity + coverage / 2
        self.min_similarity = min_similarity
        self.min_coverage = min_coverage
        self.min_terms = min_terms

    def check(self, text: str, docs: list[Document], question: str = "") -> CheckResult:
        """Check every sentence of text; numbers and names from the question count as given."""
        cleaned, markers, invalid = clean_markers(text, len(docs))
        parsed = split_answer(cleaned)
        chunks = [_ChunkView.of(doc, self.embedder) for doc in docs]
        claims = [claim_of(sentence) for sentence, _ in parsed]
        vectors = self._embed(claims)
        terms = analyse(claims) if claims else []
        given = _Given(set(analyse([question])[0]), set(_numbers(question)))
        checks = []
        for (sentence, cited), claim, vector, claim_terms in zip(
            parsed, claims, vectors, terms, strict=True
        ):
            check = SentenceCheck(sentence, claim, cited)
            candidates = cited or tuple(range(1, len(docs) + 1))
            best = None
            for number in candidates:
                found = self._support(claim, set(claim_terms), vector, chunks[number - 1], given)
                if found and (best is None or found[1] > best[2]):
                    best = (number, *found)
            if best is not None:
                number, highlight, similarity, coverage = best
                check = SentenceCheck(
                    sentence, claim, cited, number, highlight, similarity, coverage
                )
            checks.append(check)
        return CheckResult(tuple(checks), markers, invalid)

    def _support(
        self,
        claim: str,
        claim_terms: set[str],
        vector: np.ndarray,
        chunk: _ChunkView,
        given: _Given,
    ) -> tuple[tuple[int, int], float, float] | None:
        if len(claim_terms) < self.min_terms or not chunk.spans:
            return None
        coverage = len(claim_terms & chunk.terms) / len(claim_terms)
        if coverage < self.min_coverage:
            return None
        if not set(_numbers(claim)) <= chunk.numbers | given.numbers:
            return None
        if not _name_terms(claim) <= chunk.terms | given.terms:
            return None
        similarities = chunk.vectors @ vector
        best = int(np.argmax(similarities))
        similarity = float(similarities[best])
        if similarity < self.min_similarity or similarity + coverage / 2 < self.min_score:
            return None
        return chunk.spans[best], similarity, coverage

    def _embed(self, claims: list[str]) -> list[np.ndarray]:
        if not claims:
            return []
        return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed_documents(claims)]


@dataclass(frozen=True)
class _ChunkView:
    spans: list[tuple[int, int]]
    vectors: np.ndarray  # one row per sentence
    terms: set[str]
    numbers: set[str]

    @classmethod
    def of(cls, doc: Document, embedder: SentenceEmbedder) -> _ChunkView:
        text = doc.page_content
        spans = [tuple(s) for s in json.loads(doc.metadata.get("sentences") or "[]")]
        packed = doc.metadata.get("sentence_vectors")
        if spans and packed:
            vectors = unpack_vectors(packed, embedder.dimension)[: len(spans)]
        else:  # a chunk from elsewhere: split and embed it now
            spans = [(s.start, s.end) for s in split_sentences(text)]
            texts = [text[start:end] for start, end in spans]
            vectors = np.asarray(embedder.embed_documents(texts) if texts else [], np.float32)
        return cls(
            spans=[(int(a), int(b)) for a, b in spans[: len(vectors)]],
            vectors=vectors,
            terms=set(analyse([text])[0]),
            numbers=set(_numbers(text)),
        )


@dataclass(frozen=True)
class _Given:
    terms: set[str]
    numbers: set[str]


def _name_terms(claim: str) -> set[str]:
    names = _NAME.findall(claim)
    return set(analyse([" ".join(names)])[0]) if names else set()


def _numbers(text: str) -> list[str]:
    return [n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)]


def citation_rates(answers: Iterable[Answer]) -> dict[str, float | int | None]:
    """The citation check's rates over the answers a chat model was asked for.

    unsupported_sentence_rate: the model's sentences that no cited chunk supports;
    invalid_citation_rate: its markers that named no retrieved chunk; fallback_rate: answers
    where the extractive answer was shown instead (nothing supported, or error, timeout, no text).
    Extractive answers carry no check and are not counted; a rate with nothing to count is None.
    """
    sentences = unsupported = markers = invalid = checked = fallbacks = 0
    for answer in answers:
        check = answer.check
        if check is None:
            continue
        checked += 1
        sentences += check.sentences
        unsupported += check.unsupported
        markers += check.markers
        invalid += check.invalid_markers
        fallbacks += check.fell_back
    return {
        "model_answers": checked,
        "unsupported_sentence_rate": unsupported / sentences if sentences else None,
        "invalid_citation_rate": invalid / markers if markers else None,
        "fallback_rate": fallbacks / checked if checked else None,
    }
