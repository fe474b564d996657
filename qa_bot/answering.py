"""Answerers: turn a question and its retrieved chunks into an Answer with citations.

The default is extractive: the answer is the best-supported sentence(s) of the retrieved chunks,
each followed by its marker, so every word of it can be checked against the source.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig

from qa_bot.answers import NOT_FOUND, Answer, Source, not_found
from qa_bot.chunking import (
    TABLE_CELLS,
    Span,
    as_item,
    list_items,
    one_line,
    opens_list_item,
)
from qa_bot.embeddings import SentenceEmbedder, word_likeness
from qa_bot.errors import ConfigError
from qa_bot.keyword import acronyms_as_in, question_terms, respelled, terms, times_as_in
from qa_bot.references import Reference, find_reference
from qa_bot.reranking import SentenceReranker, candidate_in
from qa_bot.sentences import NUMBER, score_all, speakers

if TYPE_CHECKING:
    from qa_bot.condense import Turn

# Between two equally good sentences, prefer the one from the higher-ranked chunk.
RANK_PRIOR = 0.1
# A sentence after a heading or question that matches the question scores this much less than
# the heading: one that matches the question by itself comes first.
LEAD_MARGIN = 0.05
# Quoting the very part a question names by number ("What does clause 3.2 say?") is as sure as
# an answer gets, though the confidence model, which weighs words in common, would doubt it.
REFERENCE_CONFIDENCE = 0.9
# A lead-in ("All employees receive:") or a list's heading is quoted with at most this many of
# its list's items, and "…" when it has more: a recipe quoted without its last ingredients
# misleads, so this is more than most lists have.
LIST_ITEMS = 30
# An overview ("What is this document about?") quotes at most this many of a document's first
# sentences, its first line among them, and lists at most this many of its headings. It is what
# the document says of itself: as sure as quoting a named part.
OVERVIEW_SENTENCES = 3
OVERVIEW_HEADINGS = 12
OVERVIEW_CONFIDENCE = REFERENCE_CONFIDENCE
# The reranker learnt relevance from questions a passage answers with a fact: it reads "Can I
# claim for alcohol?" beside "Alcohol is not reimbursed." as barely relevant, and a policy's
# plain yes or no was declined. A yes/no question whose every word the retrieved passages name
# (or, for a word they do not, whose best sentence has a word at least YES_NO_LIKENESS alike:
# "beer", "alcohol") has its logit raised to YES_NO_LOGIT; the other signals still decide.
# On 79 yes/no questions of probe documents: 4 more answered, all right; none wrongly.
YES_NO_LOGIT = -1.0
YES_NO_LIKENESS = 0.6
_YES_NO = re.compile(
    r"^\s*(?:is|are|can|do|does|did|will|should|may|has|have|was|were)\b", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass(frozen=True)
class ScoredSentence:
    doc_index: int
    start: int
    end: int
    text: str
    similarity: float
    overlap: float
    score: float
    # Items of a list quoted with it (with_items): such a passage is an answer of its own.
    items: int = 0
    # It ranks where it does by the score of the heading or question before it (quotable): the
    # question matched a section, which this sentence opens.
    led: bool = False
    # The items between a lead-in and the item quoted after it (under_lead_in): not highlighted.
    gap: tuple[int, int] | None = None


@dataclass(frozen=True)
class Signals:
    """What the confidence model sees of one question and its retrieved chunks."""

    top_dense: float  # best cosine similarity of a retrieved chunk
    sentence_similarity: float  # of the best sentence
    overlap: float  # share of the query's terms in the best sentence
    coverage: float  # share of the query's terms in the top chunk and its title
    # The reranker's best logit over the sentences it read (0 without a reranker): it reads
    # question and sentence together, so it can tell "on topic" from "answers it".
    answer_logit: float = 0.0

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in _SIGNALS], dtype=np.float64)


_SIGNALS = ("top_dense", "sentence_similarity", "overlap", "coverage", "answer_logit")


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic model over retrieval and sentence signals -> P(the documents answer this).

    Weights and threshold come from `qa-bot eval --calibrate` on in- and out-of-corpus
    questions; below the threshold the answerer abstains. These defaults are for answering
    without a reranker: a reranker's logit gets a weight only from a model calibrated with it,
    which its folder's reranker.json carries (see `for_reranker`).
    """

    # QA_BOT_RERANKER=none qa-bot eval --docs ../shared/squad-dev/docs
    #   --questions ../shared/squad-dev/questions.jsonl --holdout 8 --seed 1 --sample 700
    #   --calibrate   (AUC 0.993; top_dense alone 0.972)
    bias: float = -8.215
    top_dense: float = 5.189
    sentence_similarity: float = 6.014
    overlap: float = 3.607
    coverage: float = 3.106
    answer_logit: float = 0.0
    threshold: float = 0.401

    @classmethod
    def for_reranker(cls, reranker: SentenceReranker | None) -> ConfidenceModel:
        """The model calibrated with this reranker, or the plain one (its logit then unused)."""
        if reranker is None or not reranker.confidence:
            return cls()
        try:
            return cls(**reranker.confidence)
        except TypeError as exc:
            raise ConfigError(
                f"the reranker's confidence model is not one `qa-bot eval --calibrate` prints "
                f"({exc})"
            ) from exc

    def __call__(self, signals: Signals) -> float:
        weights = np.array([getattr(self, name) for name in _SIGNALS])
        z = self.bias + float(weights @ signals.vector())
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @classmethod
    def fit(
        cls, signals: list[Signals], labels: list[bool], l2: float = 1e-3, steps: int = 50
    ) -> ConfidenceModel:
        """Class-balanced logistic regression by Newton's method (a few hundred points suffice).

        A signal that is 0 throughout (answer_logit without a reranker) gets weight 0.
        """
        x = np.column_stack([np.ones(len(signals)), np.stack([s.vector() for s in signals])])
        y = np.asarray(labels, dtype=np.float64)
        positives = max(y.sum(), 1.0)
        negatives = max(len(y) - y.sum(), 1.0)
        sample_weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))
        w = np.zeros(x.shape[1])
        penalty = l2 * np.eye(x.shape[1])
        penalty[0, 0] = 0.0
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
            gradient = x.T @ (sample_weight * (p - y)) + penalty @ w * len(y)
            hessian = (x * (sample_weight * p * (1 - p))[:, None]).T @ x + penalty * len(y)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(float(w[0]), *(float(v) for v in w[1:]))


class ExtractiveAnswerer(Runnable[dict[str, Any], Answer]):
    """{"question", "standalone", "docs"} -> Answer, quoting the documents verbatim."""

    name = "extractive_answerer"

    def __init__(
        self,
        embedder: SentenceEmbedder,
        threshold: float | None = None,
        confidence: ConfidenceModel | None = None,
        max_sentences: int = 2,
        reranker: SentenceReranker | None = None,
    ) -> None:
        """threshold None: the one calibrated with the confidence model."""
        self.embedder = embedder
        self.confidence = confidence or ConfidenceModel.for_reranker(reranker)
        self.threshold = self.confidence.threshold if threshold is None else threshold
        self.max_sentences = max_sentences
        self.reranker = reranker

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
        if docs[0].metadata.get("overview_of"):  # "What is this document about?"
            return overview_answer(question, standalone, docs, sources)
        # A word misspelt in the question is read as the passages spell it ("milage": "Mileage").
        passages = [doc.page_content for doc in docs]
        asked, focus = respelled([standalone, question], passages, self.embedder.words)
        # A time of day as the passages write it: "2pm" of a programme that has "14:00".
        asked, focus = times_as_in([asked, focus], passages)
        # "the AGM" of minutes that say "Annual General Meeting", and the other way round.
        asked, focus = acronyms_as_in([asked, focus], passages)
        signals, scored = self.signals(asked, docs, focus=focus)
        signals = self._as_yes_no(question, asked, signals, scored, docs)
        scored = prefer_current(scored, docs, f"{question} {standalone}")
        said = _said_before(question, inputs.get("history") or [])
        if said:  # "What else did he say?": not what the last answer quoted
            scored = [s for s in scored if one_line(s.text) not in said]
        reference = find_reference(question) or find_reference(standalone)
        asked, named = None, []
        if reference is not None:
            named = named_parts(reference, scored, docs)
            asked = next(filter(None, (_asked_of(reference, p, docs) for p in named)), None)
        if asked is not None:
            # The question names a part the documents have and asks nothing the part and its
            # document's title do not hold: quote the part, not what merely resembles it.
            chosen = asked
            confidence = max(self.confidence(signals), REFERENCE_CONFIDENCE)
        else:
            confidence = self.confidence(signals)
            missing = _missing_model(dict.fromkeys([question, standalone]), docs)
            if missing is not None:  # "the Aero 400" where the documents have the 200 and 300
                # However like the passages found, they are about other models: no confidence.
                text = not_found(missing)
                return Answer(question, standalone, text, tuple(sources), 0.0, abstained=True)
            # A part no retrieved chunk has or mentions is in no document: the retriever looks
            # for it in every chunk. Naming it tells a mistyped number apart. A part named by its
            # label and number ("clause 9.4") is what was asked: other text is no answer, however
            # alike. (In words, "the first point", it may be a part the document does not number.)
            lacking = reference is not None and not named
            lacking = lacking and not any(reference.mentioned_in(d.page_content) for d in docs)
            if lacking and reference.label and not reference.worded:
                text = not_found(str(reference))
                return Answer(question, standalone, text, tuple(sources), 0.0, abstained=True)
            if not scored or confidence < self.threshold:
                text = not_found(str(reference)) if lacking else NOT_FOUND
                return Answer(
                    question, standalone, text, tuple(sources), confidence, abstained=True
                )
            quoted = quotable(scored, docs)[: self.max_sentences + 3]
            if not quoted:  # headings, questions and placeholders only: nothing says an answer
                return Answer(
                    question, standalone, NOT_FOUND, tuple(sources), confidence, abstained=True
                )
            best = quoted[0]
            follower = _following(best, docs) if best.led else None
            procedure = _HOW_TO.search(question) and _procedure(best, docs)
            chosen = (
                [procedure]
                if procedure
                else _each_speaker(standalone, quotable(scored, docs))
                or self._choose(
                    [under_lead_in(with_items(whole_row(s, docs), docs), docs) for s in quoted],
                    with_items(follower, docs, steps=True) if follower else None,
                )
            )
            year = _missing_year(dict.fromkeys([question, standalone]), chosen[0].text, docs)
            if year is not None:  # "Revenue in 2021?" of a report on 2023 and 2024
                text = not_found(year)
                return Answer(question, standalone, text, tuple(sources), 0.0, abstained=True)
            if _gives_no_measure(standalone, chosen[0].text):
                # "How high is the Khunjerab Pass?" of a report that gives no height: whatever
                # sentence names the pass best, one without a number gives no height.
                return Answer(question, standalone, NOT_FOUND, tuple(sources), 0.0, abstained=True)
        parts = []
        highlights: dict[int, list[ScoredSentence]] = {}
        for sentence in chosen:
            # A sentence wrapped over lines in its file reads as one line in the answer.
            parts.append(f"{one_line(sentence.text)} [{sentence.doc_index + 1}]")
            highlights.setdefault(sentence.doc_index, []).append(sentence)
        sources = [
            replace(
                source,
                highlight=(lit[0].start, lit[0].end),
                gap=lit[0].gap,
                more=tuple((s.start, s.end) for s in lit[1:]),
            )
            if (lit := highlights.get(i))
            else source
            for i, source in enumerate(sources)
        ]
        return Answer(question, standalone, " ".join(parts), tuple(sources), confidence)

    def _choose(
        self, scored: list[ScoredSentence], follower: ScoredSentence | None = None
    ) -> list[ScoredSentence]:
        """The best sentence, and the next best when nearly as good and not already quoted; a
        list quoted with its heading is an answer of its own. When the best opens a section
        that the question matched (its heading or question), the section goes on with
        `follower`, the sentence after it: "Refunds" is answered by what the section says, not
        by whatever else resembles the question."""
        best = scored[0]
        chosen = [best]
        if best.items:
            return chosen
        if follower is not None and self.max_sentences > 1 and not _overlaps(follower, chosen):
            return [best, follower]
        for candidate in scored[1 : self.max_sentences + 3]:
            if len(chosen) >= self.max_sentences:
                break
            close = candidate.score >= best.score - 0.1 * abs(best.score)
            if close and not _overlaps(candidate, chosen):
                chosen.append(candidate)
        return chosen

    def _as_yes_no(
        self,
        question: str,
        query: str,
        signals: Signals,
        scored: list[ScoredSentence],
        docs: list[Document],
    ) -> Signals:
        """The signals with the reranker's logit raised for a yes/no question the passages
        name throughout (see YES_NO_LOGIT)."""
        if (
            self.reranker is None
            or not scored
            or signals.answer_logit >= YES_NO_LOGIT
            or not _YES_NO.match(question)
        ):
            return signals
        held = frozenset().union(
            *terms([f"{d.metadata.get('title', '')}\n{d.page_content}" for d in docs])
        )
        asked = question_terms(query)
        missing = asked.all - asked.hints - held
        if missing:
            unnamed = [w for w in _WORD.findall(query) if terms([w])[0] & missing]
            said = [w.lower() for w in _WORD.findall(scored[0].text) if terms([w])[0]]
            if not unnamed or not said:
                return signals
            alike = word_likeness(self.embedder, unnamed, list(dict.fromkeys(said)))
            if alike.max(axis=1).min() < YES_NO_LIKENESS:
                return signals
        return replace(signals, answer_logit=YES_NO_LOGIT)

    def signals(
        self, query: str, docs: list[Document], focus: str | None = None
    ) -> tuple[Signals, list[ScoredSentence]]:
        """The confidence model's inputs, and the sentences best first (reranked, if so set)."""
        scored = score_sentences(self.embedder, query, docs, focus)
        best = scored[0] if scored else None
        answer_logit = 0.0
        if self.reranker is not None and scored:
            scored, logits = rerank(self.reranker, query, scored, docs)
            answer_logit = float(logits.max())
        query_terms = question_terms(query)
        top = docs[0] if docs else None
        covered = (
            terms([f"{top.metadata.get('title', '')} {top.page_content}"])[0]
            if top is not None
            else frozenset()
        )
        signals = Signals(
            top_dense=max((float(d.metadata.get("score_dense", 0.0)) for d in docs), default=0.0),
            sentence_similarity=best.similarity if best else 0.0,
            overlap=best.overlap if best else 0.0,
            coverage=query_terms.share(covered),
            answer_logit=answer_logit,
        )
        return signals, scored


def score_sentences(
    embedder: SentenceEmbedder, query: str, docs: list[Document], focus: str | None = None
) -> list[ScoredSentence]:
    """Every sentence of the chunks, best first (sentences.py), nudged towards higher chunks."""
    scored = [
        ScoredSentence(
            s.doc_index,
            s.start,
            s.end,
            s.text,
            s.similarity,
            s.overlap,
            s.score + RANK_PRIOR / (s.doc_index + 2),
        )
        for s in score_all(query, embedder.query_vector(query), docs, focus)
    ]
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def rerank(
    reranker: SentenceReranker, query: str, scored: list[ScoredSentence], docs: list[Document]
) -> tuple[list[ScoredSentence], np.ndarray]:
    """The reranker reorders the scorer's best few; the others stay behind them, in order.

    Each is read as it would be quoted: a list's heading with the list's items (with_items).
    Also returns the logits of the few, in the scorer's order.
    """
    head, tail = scored[: reranker.top], scored[reranker.top :]
    # Sentences of several documents are read under their titles, as sentences.score_all
    # reads them: "Weight | 2.4 kg" is the Aero 300's weight in the Aero 300's guide. (Of one
    # document, as the model was trained, they are read as they stand.)
    titles = [one_line(str(docs[s.doc_index].metadata.get("title") or "")) for s in head]
    titled = len(set(titles)) > 1
    candidates = []
    for s, title in zip(head, titles, strict=True):
        doc = docs[s.doc_index]
        items = _items_after(doc, s.start)
        candidate = candidate_in(doc.page_content, s.start, items[-1].end if items else s.end)
        if titled and title and title not in candidate.before:
            candidate = replace(candidate, before=f"{title}\n{candidate.before}".strip())
        candidates.append(candidate)
    logits = reranker.logits(query, candidates)
    head = [
        replace(s, score=s.score + reranker.weight * float(v))
        for s, v in zip(head, logits, strict=True)
    ]
    head.sort(key=lambda s: s.score, reverse=True)
    return head + tail, logits


def quotable(scored: list[ScoredSentence], docs: list[Document]) -> list[ScoredSentence]:
    """The sentences an answer may quote, in the order given (best first).

    A heading or a question in the text answers nothing, but a question that matches it is
    what the text after it answers (a FAQ: "What is the battery life?", then the answer): the
    sentence after it takes its place, and its score less LEAD_MARGIN if that is more than its
    own. The document's first line, its title, is what every passage is about: it lends none.
    """
    by_chunk: dict[int, list[ScoredSentence]] = {}
    for sentence in scored:
        by_chunk.setdefault(sentence.doc_index, []).append(sentence)
    answered_by: dict[tuple[int, int], ScoredSentence | None] = {}  # lead -> what it leads to
    for doc_index, sentences in by_chunk.items():
        sentences.sort(key=lambda s: s.start)
        doc = docs[doc_index]
        opens_document = doc.metadata.get("start") == 0
        # A heading over a list is quoted with it (with_items), not replaced by its first item.
        leads = {
            start
            for start in lead_starts(doc)
            if (opens_document and start == 0) or not _items_after(doc, start)
        }
        waiting: list[tuple[int, int]] = []
        asked = _exercises(doc)
        for sentence in sentences:
            if sentence.start in asked or _PLACEHOLDER_TEXT.match(sentence.text):
                answered_by[(doc_index, sentence.start)] = None
            elif sentence.start not in leads:
                answered_by.update(dict.fromkeys(waiting, sentence))
                waiting = []
            elif opens_document and sentence.start == 0 and not sentence.text.endswith("?"):
                answered_by[(doc_index, sentence.start)] = None
            else:
                waiting.append((doc_index, sentence.start))
        answered_by.update(dict.fromkeys(waiting))
    kept, placed = [], set()
    for sentence in scored:
        key = (sentence.doc_index, sentence.start)
        if key in answered_by:
            lead, sentence = sentence, answered_by[key]
            if sentence is None:
                continue
            key = (sentence.doc_index, sentence.start)
            led = lead.score - LEAD_MARGIN > sentence.score
            sentence = (
                replace(sentence, score=lead.score - LEAD_MARGIN, led=True) if led else sentence
            )
        if key not in placed:
            placed.add(key)
            kept.append(sentence)
    return kept


# What an unwritten page holds in place of its text: "TODO: write this", "Coming soon".
_PLACEHOLDER_TEXT = re.compile(
    r"(?:TODO|TBD|FIXME)\b|(?:coming soon|lorem ipsum|to be written|under construction)",
    re.IGNORECASE,
)


def _exercises(doc: Document) -> set[int]:
    """Sentences that ask rather than tell, as a chapter's review questions do: a question that
    introduces no answer, and every item of a list of questions ("1. What happens in the S
    phase?", "2. List the stages of mitosis."). Quoted, they answer nothing."""
    text, leads = doc.page_content, lead_starts(doc)
    spans = chunk_sentences(doc)
    asks = [text[s.start : s.end].rstrip().endswith("?") for s in spans]
    asked = {s.start for s, ask in zip(spans, asks, strict=True) if ask and s.start not in leads}
    run: list[int] = []
    for index, span in enumerate([*spans, None]):
        if span is not None and opens_list_item(text, span.start):
            run.append(index)
            continue
        if len(run) >= 2 and 2 * sum(asks[i] for i in run) >= len(run):
            asked.update(spans[i].start for i in run)
        run = []
    return asked


# A name and its number: "Aero 400", "Super Bowl 51", "Model 3"; not a date ("July 1754"), nor
# a score or a verse ("0-4", "31:5").
_MODEL = re.compile(r"\b((?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*)\s+(\d{1,4})\b(?![-:/.,]\d)")
_ANY_CASE_MODEL = re.compile(r"\b((?:[\w-]+\s+){0,2}[\w-]+)\s+(\d{1,4})\b(?![-:/.,]\d)")
_NOT_A_NAME = frozenset(
    """
    in on at by from since after before until during of the a an what which who when where why
    how is are was were do does did and or to for with about page chapter section step figure
    table clause article part version level room january february march april may june july
    august september october november december
    """.split()
)


def _missing_model(questions: Iterable[str], docs: list[Document]) -> str | None:
    """A model the questions (the user's, and as condensed) name by number that no passage
    found has, where they have the same name with other numbers: the "Aero 400" (or "aero
    400") of a range of 200, 300 and 500. The search would have found it; answering with
    another model's figures would mislead."""
    found = "\n".join(f"{d.metadata.get('title') or ''}\n{one_line(d.page_content)}" for d in docs)
    models = {(" ".join(name).casefold(), number) for name, number in _models(found)}
    names = {name for name, _ in models}
    for question in questions:
        for words, number in _models(question, names):  # only names the passages have
            name = " ".join(words)
            if (name.casefold(), number) in models or re.search(rf"\b{number}\b", found):
                continue  # "51" is somewhere in what was found: perhaps as "Super Bowl LI"
            return f"{name} {number}"
    return None


# A year a question asks of: not a decade ("the 1980s") nor a season ("2010-11").
_ASKED_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b(?!\s?[-–/]\s?\d|['’]?s\b)")


def _each_speaker(question: str, ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """For "What did Wang Yi and Ishaq Dar say?", the best sentence in which each speaks, in
    rank order (two sentences of the first named, quoted as the best two, left the other
    out); [] unless the question names several speakers and each speaks in one."""
    patterns = speakers(question)
    if len(patterns) < 2:
        return []
    chosen: list[ScoredSentence] = []
    for pattern in patterns:
        said = next((s for s in ranked if pattern.search(s.text)), None)
        if said is None:
            return []
        if said not in chosen:
            chosen.append(said)
    return sorted(chosen, key=ranked.index)


def _said_before(question: str, history: Sequence[Turn]) -> str:
    """The conversation's answers when the question asks for more than they said ("What
    else…?", "Tell me more"), else ""."""
    if not _MORE.search(question):
        return ""
    return "\n".join(" ".join(turn.answer.split()) for turn in history)


_MORE = re.compile(
    r"\belse\b|\b(?:tell|say|show) (?:me |us )?more\b|\b(?:what|anything|something) more\b"
    r"|\bmore (?:about|on)\b",
    re.IGNORECASE,
)
# A question of a dimension: its answer has a number ("4,693 metres", "two storeys"). How long
# or how far may be answered in years or in words ("for decades"); how large is not here.
_MEASURE = re.compile(r"\bhow (?:high|tall|deep|wide|heavy|thick)\b", re.IGNORECASE)
_LENGTH = re.compile(r"\bhow (?:long|far)\b", re.IGNORECASE)
# A length or a while given without a figure: "for decades", "a week", "several miles".
_SPAN = re.compile(
    r"\b(?:decades|centuries|years|months|weeks|days|hours|minutes|seconds|miles|metres|meters"
    r"|feet|kilomet(?:re|er)s|(?:a|one|another) (?:decade|century|year|month|week|day|fortnight"
    r"|while|mile|lifetime|generation)|an hour|overnight|briefly|indefinitely|permanently)\b",
    re.IGNORECASE,
)


def _gives_no_measure(question: str, answer: str) -> bool:
    """A question of a measure answered by a sentence that gives none. A year is no height
    ("…the Bank of America Tower, constructed in 1990"); for "how long" or "how far" years
    may be the span ("from 1914 to 1918"), and a span may be in words ("for decades")."""
    if _MEASURE.search(question):
        return not NUMBER.search(_YEAR.sub("", answer))
    if _LENGTH.search(question):
        return not (NUMBER.search(answer) or _SPAN.search(answer))
    return False


def _missing_year(questions: Iterable[str], answer: str, docs: list[Document]) -> str | None:
    """A year the questions ask of that no passage found names, where the answer names
    another: "What was revenue in 2021?" of a report on 2023 and 2024 would be answered with
    another year's figure. An answer that names no year may still be of it ("By that year,
    ABC had…")."""
    named = set(_YEAR.findall(answer))
    if not named:
        return None
    found = "\n".join(f"{d.metadata.get('title') or ''}\n{d.page_content}" for d in docs)
    for question in questions:
        for year in _ASKED_YEAR.findall(question):
            if year not in named and not re.search(rf"\b{year}\b", found):
                return year
    return None


def _models(text: str, names: set[str] | None = None) -> Iterator[tuple[list[str], str]]:
    """A text's names with numbers, years left out: ("Aero", "300"). With `names`, in any case
    ("aero 400"), those names only."""
    pattern = _MODEL if names is None else _ANY_CASE_MODEL
    for match in pattern.finditer(text):
        words = match.group(1).split()
        while words and words[0].casefold() in _NOT_A_NAME:
            words = words[1:]
        if names is not None:  # the longest run of the words that the documents name
            words = next(
                (words[i:] for i in range(len(words)) if " ".join(words[i:]).casefold() in names),
                [],
            )
        number = match.group(2)
        if words and not _YEAR.fullmatch(number):
            yield words, number  # not "In 1990", "Broncos 2015": a year


def _following(sentence: ScoredSentence, docs: list[Document]) -> ScoredSentence | None:
    """The sentence after this one in its chunk, unless a heading or a question opens it (the
    next section) or there is none."""
    doc = docs[sentence.doc_index]
    after = next((s for s in chunk_sentences(doc) if s.start >= sentence.end), None)
    if after is None or after.start in lead_starts(doc):
        return None
    text = doc.page_content[after.start : after.end]
    return ScoredSentence(sentence.doc_index, after.start, after.end, text, 0.0, 0.0, 0.0)


def whole_row(sentence: ScoredSentence, docs: list[Document]) -> ScoredSentence:
    """A sentence of a table's row is quoted with the row it is in: "Pass None if the file has
    no header row." says which option only as "Name: header | … | Description: Pass None…"."""
    text = docs[sentence.doc_index].page_content
    start = text.rfind("\n", 0, sentence.start) + 1
    end = text.find("\n", sentence.end)
    end = len(text) if end < 0 else end
    if (start, end) == (sentence.start, sentence.end) or TABLE_CELLS not in text[start:end]:
        return sentence
    return replace(sentence, start=start, end=end, text=text[start:end])


def with_items(
    sentence: ScoredSentence, docs: list[Document], steps: bool = False
) -> ScoredSentence:
    """A lead-in ("All employees receive:") or a list's heading ("Ingredients") alone says
    nothing: it is quoted with the items of the list after it in its chunk, as one passage,
    each item after a bullet as a reader sees it. With `steps`, so is a section's opening that
    numbered or bulleted items go on from: under "How do I reset my password?", "You will
    need your phone." and then "1. Open the portal", "2. Enter the code"…"""
    doc = docs[sentence.doc_index]
    items = _items_after(doc, sentence.start, LIST_ITEMS + 1)
    if not items and steps:
        items = _marked_items_after(doc, sentence.end, LIST_ITEMS + 1)
    if not items:
        return sentence
    more, items = len(items) > LIST_ITEMS, items[:LIST_ITEMS]
    text = doc.page_content
    marked = opens_list_item(text, items[0].start)
    shown = [one_line(sentence.text)] + [
        # An item's second sentence ("2. Sign in. You will be asked…") goes on without a bullet.
        one_line(text[s.start : s.end])
        if marked and not opens_list_item(text, s.start)
        else as_item(text[s.start : s.end])
        for s in items
    ]
    shown += [as_item("…")] if more else []
    return replace(sentence, end=items[-1].end, text=" ".join(shown), items=len(items))


# How far a sentence of a superseded document falls behind those of the current one.
SUPERSEDED_PENALTY = 1.0
# A title or file name that says its document is out of date: "VPN setup (old, 2021)".
_OUTDATED = re.compile(
    r"\b(outdated|deprecated|archived|superseded|obsolete|legacy)\b"
    r"|\(old\b|\bold\)|\bold version\b",
    re.IGNORECASE,
)
# A file name that says so: "VPN-setup-old-2021.html", "policy_old.docx".
_OLD_FILE = re.compile(
    r"\bold(?:\s+(?:19|20)\d\d)?\s*$|\bold\s+(?:19|20)\d\d\b|" + _OUTDATED.pattern, re.I
)
# A question that asks about an earlier version, which a superseded document answers.
_ASKS_EARLIER = re.compile(
    r"\b(old|older|previous|former|earlier|outdated|deprecated|archived|legacy|superseded"
    r"|used to)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def prefer_current(
    scored: list[ScoredSentence], docs: list[Document], question: str
) -> list[ScoredSentence]:
    """Sentences of a superseded document rank behind the current one's: a page whose title or
    file says it is old ("VPN setup (old, 2021)"), or an earlier year's edition of a document
    that was found too ("Remote Work Policy 2023" beside "… 2024"). Unless the question asks
    about that year or an earlier version."""
    if _ASKS_EARLIER.search(question):
        return scored
    asked_years = set(_YEAR.findall(question))
    titles = [str(doc.metadata.get("title") or "") for doc in docs]
    latest: dict[str, int] = {}  # a title without its year -> its latest edition's year
    for title in titles:
        for year in _YEAR.findall(title):
            edition = _edition(title)
            latest[edition] = max(latest.get(edition, 0), int(year))
    stale = set()
    for index, (doc, title) in enumerate(zip(docs, titles, strict=True)):
        years = set(_YEAR.findall(title))
        earlier = bool(years) and not years & asked_years
        earlier = earlier and all(int(year) < latest[_edition(title)] for year in years)
        stem = re.sub(r"[-_.]+", " ", str(doc.metadata.get("file_name") or "").rsplit(".", 1)[0])
        if earlier or _OUTDATED.search(title) or _OLD_FILE.search(stem):
            stale.add(index)
    if not stale:
        return scored
    ranked = [
        replace(s, score=s.score - SUPERSEDED_PENALTY) if s.doc_index in stale else s
        for s in scored
    ]
    return sorted(ranked, key=lambda s: s.score, reverse=True)


def _edition(title: str) -> str:
    """What a title names, whichever year's edition: "remote work policy" for "… 2024"."""
    return " ".join(_YEAR.sub(" ", title).casefold().split())


# A question that asks how to do something: its answer is a procedure's steps, all of them.
_HOW_TO = re.compile(
    r"^\W*(?:how (?:do|can|should|would|could|must) (?:i|we|you|one)|how to)\b"
    r"|\bwhat are the steps\b",
    re.IGNORECASE,
)


def _procedure(sentence: ScoredSentence, docs: list[Document]) -> ScoredSentence | None:
    """The numbered steps a step belongs to, quoted from their heading or lead-in ("Steps",
    "To connect:"): "How do I connect to the VPN?" is answered by all of them, not by the
    step that says "Connect". None if the sentence is no numbered step, or its steps have no
    heading in the chunk."""
    doc = docs[sentence.doc_index]
    text = doc.page_content
    if not _NUMBERED_STEP.match(text, sentence.start):
        return None
    spans = chunk_sentences(doc)
    index = next((i for i, span in enumerate(spans) if span.start == sentence.start), None)
    if index is None:
        return None
    while index > 0 and (  # back over the steps before it, and their second sentences
        _NUMBERED_STEP.match(text, spans[index - 1].start)
        or not opens_list_item(text, spans[index - 1].start)
        and index > 1
        and _NUMBERED_STEP.match(text, spans[index - 2].start)
    ):
        index -= 1
    if index == 0:
        return None
    head = spans[index - 1]
    passage = replace(sentence, start=head.start, end=head.end, text=text[head.start : head.end])
    quoted = with_items(passage, docs, steps=True)
    return quoted if quoted.items else None


_NUMBERED_STEP = re.compile(r"\s*\d{1,2}[.)]\s")


def under_lead_in(sentence: ScoredSentence, docs: list[Document]) -> ScoredSentence:
    """A list's item quoted alone can say the opposite of its list: "• fines for parking
    offences;" under "The following are not reimbursable:". It is quoted after the lead-in
    that introduces it (the items between shown as "…"), the passage highlighted whole."""
    doc = docs[sentence.doc_index]
    text = doc.page_content
    spans = chunk_sentences(doc)
    index = next((i for i, span in enumerate(spans) if span.start == sentence.start), None)
    if index is None or not opens_list_item(text, sentence.start):
        return sentence
    first = index
    while first > 0 and opens_list_item(text, spans[first - 1].start):
        first -= 1
    lead = spans[first - 1] if first else None
    if lead is None or not text[lead.start : lead.end].rstrip().endswith(":"):
        return sentence
    if list_items(text, spans, first - 1, index - first + 1) <= index - first:
        return sentence  # the lead-in's list ends before this item
    between = [as_item("…")] if index > first else []
    shown = [one_line(text[lead.start : lead.end]), *between, as_item(sentence.text)]
    gap = (lead.end, sentence.start) if between else None
    return replace(sentence, start=lead.start, text=" ".join(shown), gap=gap)


def _items_after(doc: Document, start: int, limit: int = LIST_ITEMS) -> list[Span]:
    """The items of the list that the chunk's sentence at start introduces, if it does."""
    spans = chunk_sentences(doc)
    index = next((i for i, span in enumerate(spans) if span.start == start), None)
    if index is None:
        return []
    return spans[index + 1 : index + 1 + list_items(doc.page_content, spans, index, limit)]


def _marked_items_after(doc: Document, end: int, limit: int) -> list[Span]:
    """The run of list items ("1. Open…", "• Dell…") that opens right after `end`, up to a
    heading or question."""
    items: list[Span] = []
    leads = lead_starts(doc)
    for span in (s for s in chunk_sentences(doc) if s.start >= end):
        if len(items) == limit or span.start in leads:
            break
        if not opens_list_item(doc.page_content, span.start):
            break
        items.append(span)
    return items


def chunk_sentences(doc: Document) -> list[Span]:
    """The chunk's sentences, as chunking split them at ingest (offsets in the chunk)."""
    return [Span(start, end) for start, end in json.loads(doc.metadata.get("sentences", "[]"))]


def overview_answer(
    question: str, standalone: str, docs: list[Document], sources: list[Source]
) -> Answer:
    """A document's gist, from the opening chunks the retriever found for it: its title, the
    sentences before its first heading, and its headings (a FAQ's questions); of several
    documents, each one's first line."""
    meant = int(docs[0].metadata["overview_of"])
    highlights: dict[int, tuple[int, int]] = {}
    numbers: dict[int, int] = {}  # chunk index -> its marker: only cited chunks are sources

    def cite(index: int) -> int:
        return numbers.setdefault(index, len(numbers) + 1)

    if meant == 1:
        parts, headings = [], []
        named = one_line(str(docs[0].metadata.get("title", ""))).casefold()
        for index, doc in enumerate(docs):
            leads = lead_starts(doc)
            for span in chunk_sentences(doc):
                start, end = span.start, span.end
                sentence = one_line(doc.page_content[start:end])
                title = index == 0 and doc.metadata.get("start") == 0 and start == 0
                if not title and start in leads and sentence.casefold() == named:
                    continue  # the title again: a PDF's running header, or a cover page's
                if start in leads and not title:
                    headings.append((sentence, index))
                elif not headings and len(parts) < OVERVIEW_SENTENCES and index == 0:
                    parts.append(f"{sentence} [{cite(index)}]")
                    highlights.setdefault(0, (start, end))
        if headings:
            listed = [f"{heading} [{cite(i)}]" for heading, i in headings[:OVERVIEW_HEADINGS]]
            more = ["…"] if len(headings) > OVERVIEW_HEADINGS else []
            parts.append("Contents: " + "; ".join(listed + more))
        text = " ".join(parts)
    else:
        lines = [f"Your {meant} documents:" if meant > len(docs) else "Your documents:"]
        for index, doc in enumerate(docs):
            number = cite(index)  # every document's first chunk is a source
            if spans := chunk_sentences(doc):
                highlights[index] = (spans[0].start, spans[0].end)
                sentence = one_line(doc.page_content[spans[0].start : spans[0].end])
                lines.append(f"• {doc.metadata.get('file_name', '')}: {sentence} [{number}]")
        if meant > len(docs):
            lines.append(f"• and {meant - len(docs)} more")
        text = "\n\n".join(lines)  # a paragraph each: the chat renders Markdown
    sources = [
        Source(**{**sources[i].__dict__, "number": n, "highlight": highlights.get(i)})
        for i, n in numbers.items()
    ]
    return Answer(question, standalone, text, tuple(sources), OVERVIEW_CONFIDENCE)


def lead_starts(doc: Document) -> set[int]:
    """Where the chunk's headings and questions start (chunking.introduces found them at
    ingest, in the whole text; a chunk stored before then has none)."""
    spans = chunk_sentences(doc)
    return {spans[i].start for i in json.loads(doc.metadata.get("leads", "[]")) if i < len(spans)}


def named_parts(
    reference: Reference, scored: list[ScoredSentence], docs: list[Document]
) -> list[list[ScoredSentence]]:
    """The parts of the documents that carry the number a question names, best scored first:
    each a sentence opening with the number, then those after it in its document, as far as
    the retrieved chunks go, up to the next part (3.2.1 and 3.2.2 belong to 3.2; 3.3 does
    not)."""

    def source(s: ScoredSentence) -> str:
        return str(docs[s.doc_index].metadata.get("source", ""))

    def place(s: ScoredSentence) -> int:  # offset in its document
        return int(docs[s.doc_index].metadata.get("start", 0)) + s.start

    parts = []
    seen = set()
    for opening in (s for s in scored if reference.opens(s.text)):
        if (source(opening), place(opening)) in seen:  # the same part in an overlapping chunk
            continue
        seen.add((source(opening), place(opening)))
        following = {
            place(s): s
            for s in reversed(scored)  # of a sentence in two chunks, the best scored one
            if source(s) == source(opening) and place(s) > place(opening)
        }
        part = [opening]
        for offset in sorted(following):
            if not reference.encloses(following[offset].text, opening.text):
                break
            part.append(following[offset])
        parts.append(part)
    # A line with nothing under it, where its document has the part with its text too, is
    # the part's entry in a table of contents: the part itself goes first.
    whole = {source(part[0]) for part in parts if len(part) > 1}
    return sorted(parts, key=lambda part: len(part) == 1 and source(part[0]) in whole)


# How much of a clause "What does clause 5.2 say?" quotes: its sentences and items, up to the
# next clause, as far as the retrieved chunks go.
PART_SENTENCES = 8


def _asked_of(
    reference: Reference, part: list[ScoredSentence], docs: list[Document]
) -> list[ScoredSentence] | None:
    """What to quote of the part, or None when the question asks for something the part
    does not hold (then the answer is sought as for any question)."""
    if reference.sub:  # "clause 3.2(b)": item (b) of the part
        part = [part[i] for i in reference.item_in([s.text for s in part])]
        if not part:
            return None
    title = docs[part[0].doc_index].metadata.get("title", "")
    asked = reference.asked_terms() - terms([title])[0]
    if not asked:  # "What does clause 3.2 say?": all it says; of a heading, its first sentence
        heading = part[0].start in lead_starts(docs[part[0].doc_index])
        lead_in = part[0].text.rstrip().endswith(":")  # "8.2 … if the other party:", items
        heading = heading or not (_ends_sentence(part[0].text) or lead_in)
        return part[: 2 if heading else PART_SENTENCES]
    held = [found & asked for found in terms([s.text for s in part])]
    if asked - frozenset().union(*held):
        return None
    holding = [s for s, found in zip(part, held, strict=True) if found]
    return sorted(holding, key=lambda s: s.score, reverse=True)[:1]


def _ends_sentence(text: str) -> bool:
    """A heading ("3. Payment", "Step 3:") does not end as a sentence does."""
    return text.rstrip().endswith((".", "!", "?", '"', "”", "'", ")"))


def _overlaps(candidate: ScoredSentence, chosen: list[ScoredSentence]) -> bool:
    """The same text (from another chunk, or another file, wrapped otherwise), or a sentence of
    a passage already quoted."""
    return any(
        one_line(c.text) == one_line(candidate.text)
        or (
            c.doc_index == candidate.doc_index
            and c.start < candidate.end
            and candidate.start < c.end
        )
        for c in chosen
    )
