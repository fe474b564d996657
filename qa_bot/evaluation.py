"""`qa-bot eval`: index a folder into a fresh store, ask questions through the UI's chain, score.

The metric functions are pure (an Answer and gold strings in, numbers out) so they are tested
exactly; `run_eval` does the timing and plumbing around them.

Question files are JSON lines: {"id", "question", "answers": [gold strings], "doc": "<file name>"}.
A gold string counts when it occurs in the text, compared case-insensitively.
"""

from __future__ import annotations

import json
import math
import random
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa_bot.answers import Answer
from qa_bot.chunking import one_line, split_sentences
from qa_bot.condense import Turn
from qa_bot.errors import QaBotError

CONTEXT_BUDGET = 4000
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class Outcome:
    """How one in-corpus answer scored."""

    id: str
    retrieval_hit: bool
    context_hit: bool
    answered: bool
    answer_hit: bool
    first_sentence_chars: int
    citation_hit: bool
    confidence: float


# --- questions ---------------------------------------------------------------------------------


def load_questions(path: str | Path) -> list[Question]:
    questions = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            questions.append(
                Question(str(row["id"]), row["question"], tuple(row["answers"]), row.get("doc", ""))
            )
    return questions


def sample(questions: Sequence[Question], n: int | None, seed: int) -> list[Question]:
    """A fixed random sample (all of them when n is None or not smaller), in file order."""
    if n is None or n >= len(questions):
        return list(questions)
    chosen = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in chosen]


def split_holdout(
    doc_names: Sequence[str], n_holdout: int, seed: int
) -> tuple[list[str], list[str]]:
    """(indexed, held out) document names: the held-out ones' questions are out of corpus."""
    names = sorted(doc_names)
    held = set(random.Random(seed).sample(names, min(n_holdout, len(names))))
    return [n for n in names if n not in held], [n for n in names if n in held]


# --- metrics (pure) ----------------------------------------------------------------------------


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Case and spacing aside: a passage wrapped over lines still holds an answer it spans."""
    spaced = one_line(text).lower()
    return any(gold.strip() and " ".join(gold.lower().split()) in spaced for gold in answers)


def first_sentence(answer_text: str) -> str:
    """The first sentence of an answer, citation markers removed: what a reader takes away."""
    text = _MARKER.sub("", answer_text).strip()
    spans = split_sentences(text)
    return text[spans[0].start : spans[0].end] if spans else text


def context_within(chunks: Sequence[str], budget: int = CONTEXT_BUDGET) -> str:
    """Chunks in rank order up to `budget` characters; the chunk that crosses it is cut there."""
    parts, used = [], 0
    for chunk in chunks:
        if used >= budget:
            break
        parts.append(chunk[: budget - used])
        used += len(parts[-1])
    return "\n".join(parts)


def score(question: Question, answer: Answer, budget: int = CONTEXT_BUDGET) -> Outcome:
    gold = question.answers
    chunks = [source.text for source in answer.sources]
    answered = not answer.abstained
    sentence = first_sentence(answer.text) if answered else ""
    cited = answer.citations
    return Outcome(
        id=question.id,
        retrieval_hit=bool(chunks) and contains_answer(chunks[0], gold),
        context_hit=contains_answer(context_within(chunks, budget), gold),
        answered=answered,
        answer_hit=answered and contains_answer(sentence, gold),
        first_sentence_chars=len(sentence),
        citation_hit=answered and bool(cited) and contains_answer(cited[0].text, gold),
        confidence=answer.confidence,
    )


def summarise(
    outcomes: Sequence[Outcome], out_of_corpus: Sequence[Answer] | None = None
) -> dict[str, float | int | None]:
    """The quality figures; rates are over in-corpus questions unless named otherwise."""
    n = len(outcomes)
    answered = [o for o in outcomes if o.answered]
    figures: dict[str, float | int | None] = {
        "questions": n,
        "retrieval_hit@1": _share(o.retrieval_hit for o in outcomes),
        f"context_hit@{CONTEXT_BUDGET}": _share(o.context_hit for o in outcomes),
        "answer_hit": _share(o.answer_hit for o in outcomes),
        "first_sentence_chars_p50": (
            statistics.median(o.first_sentence_chars for o in answered) if answered else None
        ),
        "citation_precision": _share(o.citation_hit for o in answered),
        "answer_rate": _share(o.answered for o in outcomes),
    }
    if out_of_corpus is not None:
        figures["out_of_corpus_questions"] = len(out_of_corpus)
        figures["abstain_rate"] = _share(a.abstained for a in out_of_corpus)
    return figures


def unseen_figures(
    outcomes: Sequence[Outcome], questions: Sequence[Question], trained_on: frozenset[str]
) -> dict[str, float | int | None]:
    """The answer figures again on questions of documents the reranker was not trained on.

    The built-in reranker learnt from some squad-dev articles; on those its figures flatter it.
    """
    if not trained_on:
        return {}
    unseen = [o for o, q in zip(outcomes, questions, strict=True) if q.doc not in trained_on]
    figures = summarise(unseen)
    keys = ("questions", "answer_hit", "citation_precision", "answer_rate")
    return {f"{key}_unseen_by_reranker": figures[key] for key in keys}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


# --- follow-ups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """A question naming the subject, then one about the same paragraph using a pronoun."""

    first: Question
    second: Question
    pronoun_question: str


def read_articles(files: Sequence[Path]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Paragraphs (blank-line separated) and title of each file, by file name."""
    from qa_bot.loaders import load_document

    paragraphs, titles = {}, {}
    for path in files:
        document = load_document(path)
        paragraphs[path.name] = [p for p in re.split(r"\n\s*\n", document.text) if p.strip()]
        titles[path.name] = document.title
    return paragraphs, titles


def make_follow_ups(
    questions: Sequence[Question], paragraphs: dict[str, list[str]], titles: dict[str, str]
) -> list[FollowUp]:
    """Pairs of questions on one paragraph where both name the article subject.

    The paragraph of a question is the first one of its document holding a gold answer; in the
    second question the subject is replaced by the pronoun the article mostly uses for it.
    """
    by_paragraph: dict[tuple[str, int], list[Question]] = {}
    for q in questions:
        for index, paragraph in enumerate(paragraphs.get(q.doc, [])):
            if contains_answer(paragraph, q.answers):
                by_paragraph.setdefault((q.doc, index), []).append(q)
                break
    pairs = []
    for (doc, _), group in by_paragraph.items():
        title = titles.get(doc, "")
        pronoun = subject_pronoun(" ".join(paragraphs[doc][:3]))
        naming = [q for q in group if _subject_pattern(title).search(q.question)]
        for first, second in zip(naming, naming[1:], strict=False):
            replaced = replace_subject(second.question, title, pronoun)
            if replaced != second.question:
                pairs.append(FollowUp(first, second, replaced))
    return pairs


def subject_pronoun(text: str) -> str:
    counts = {p: len(re.findall(rf"\b{p}\b", text, re.IGNORECASE)) for p in ("he", "she")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] >= 3 else "it"


def replace_subject(question: str, title: str, pronoun: str) -> str:
    possessive = {"he": "his", "she": "her", "it": "its"}[pronoun]

    def swap(match: re.Match[str]) -> str:
        return possessive if match.group(0).endswith("'s") else pronoun

    return _subject_pattern(title).sub(swap, question, count=1)


def _subject_pattern(title: str) -> re.Pattern[str]:
    name = re.sub(r"\s*\(.*\)$", "", title).strip()
    aliases = [name]
    words = name.split()
    if len(words) in (2, 3) and words[-1][:1].isupper() and len(words[-1]) > 3:
        aliases.append(words[-1])  # "Tesla" for "Nikola Tesla"
    alternatives = "|".join(re.escape(alias) for alias in aliases if alias)
    return (
        re.compile(rf"\b(?:the\s+)?(?:{alternatives})\b(?:'s)?")
        if alternatives
        else re.compile(r"$^")
    )


# --- running -----------------------------------------------------------------------------------


@dataclass
class EvalReport:
    figures: dict[str, float | int | None]
    outcomes: list[Outcome] = field(default_factory=list)
    # Documents the reranker learnt from: another run's figures can be split by them too.
    trained_on: frozenset[str] = frozenset()

    def as_json(self) -> str:
        return json.dumps({"figures": self.figures}, indent=2)


def run_eval(
    settings,  # noqa: ANN001 - Settings; imported lazily to keep this module light
    embedder,  # noqa: ANN001 - SentenceEmbedder
    files: Sequence[Path],
    questions: Sequence[Question],
    out_of_corpus: Sequence[Question] = (),
    follow_ups: Sequence[FollowUp] = (),
    progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Index files into a fresh temporary store and ask every question through the UI's chain."""
    from qa_bot.citations import citation_rates
    from qa_bot.ingest import ingest_paths
    from qa_bot.loaders import load_document
    from qa_bot.runtime import open_runtime

    say = progress or (lambda _: None)
    chars = sum(len(load_document(path).text) for path in files)
    with tempfile.TemporaryDirectory(prefix="qa-bot-eval-") as folder:
        runtime = open_runtime(settings.with_overrides(persist_dir=Path(folder)), embedder=embedder)
        started = time.perf_counter()
        ingest_paths(files, runtime.store, show_progress=False)
        ingest_s = time.perf_counter() - started
        say(f"indexed {len(files)} files ({chars} chars) in {ingest_s:.1f}s")

        answers: list[Answer] = []  # every answer, for the citation-check rates

        def ask(question: str, history: list[Turn]) -> tuple[Answer, float]:
            t0 = time.perf_counter()
            answer = runtime.chain.invoke({"question": question, "history": history})
            answers.append(answer)
            return answer, (time.perf_counter() - t0) * 1000

        outcomes, timings = [], []
        for i, q in enumerate(questions):
            answer, ms = ask(q.question, [])
            outcomes.append(score(q, answer))
            timings.append(ms)
            if (i + 1) % 500 == 0:
                say(f"{i + 1}/{len(questions)} questions")
        declined = [ask(q.question, [])[0] for q in out_of_corpus]
        follow = _follow_up_figures(ask, follow_ups) if follow_ups else {}
        trained_on = runtime.reranker.trained_on if runtime.reranker else frozenset()
    figures = summarise(outcomes, declined if out_of_corpus else None)
    figures.update(unseen_figures(outcomes, questions, trained_on))
    figures.update(follow)
    figures.update(citation_rates(answers))  # None with the extractive answerer: nothing checked
    figures.update(
        {
            "ingest_chars_per_s": chars / ingest_s if ingest_s else None,
            "query_ms_p50": percentile(timings, 50),
            "query_ms_p95": percentile(timings, 95),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
    return EvalReport(figures, outcomes, trained_on)


def _follow_up_figures(
    ask: Callable[[str, list[Turn]], tuple[Answer, float]], follow_ups: Sequence[FollowUp]
) -> dict[str, float | int | None]:
    alone, with_history = [], []
    for pair in follow_ups:
        gold = pair.second.answers
        answer, _ = ask(pair.pronoun_question, [])
        alone.append(bool(answer.sources) and contains_answer(answer.sources[0].text, gold))
        first, _ = ask(pair.first.question, [])
        history = [Turn(pair.first.question, first.standalone_query, first.text)]
        answer, _ = ask(pair.pronoun_question, history)
        with_history.append(bool(answer.sources) and contains_answer(answer.sources[0].text, gold))
    return {
        "follow_ups": len(follow_ups),
        "follow_up_retrieval_hit@1_alone": _share(alone),
        "follow_up_retrieval_hit@1_with_history": _share(with_history),
    }


@dataclass
class Calibration:
    """A fitted confidence model, its threshold set to keep the in-corpus answer rate."""

    model: object  # ConfidenceModel
    figures: dict[str, float | int | None]

    def describe(self) -> str:
        """The figures, and the model as the "confidence" entry of a reranker.json."""
        fields = {k: round(v, 3) for k, v in self.model.__dict__.items()}
        lines = [f"{key}: {_cell(value)}" for key, value in self.figures.items()]
        lines.append(f'"confidence": {json.dumps(fields)}')
        return "\n".join(lines)


def calibrate(
    settings,  # noqa: ANN001 - Settings
    embedder,  # noqa: ANN001 - SentenceEmbedder
    files: Sequence[Path],
    in_corpus: Sequence[Question],
    out_of_corpus: Sequence[Question],
    target_answer_rate: float = 0.96,
) -> Calibration:
    """Fit the confidence model on in- (label 1) and out-of-corpus (label 0) questions.

    With the settings' reranker, whose logit is a signal; in-corpus questions of documents it
    was trained on are left out, as its logits flatter them. The threshold is the highest that
    still answers `target_answer_rate` of the in-corpus ones.
    """
    from qa_bot.answering import ConfidenceModel, ExtractiveAnswerer
    from qa_bot.chain import build_retriever
    from qa_bot.ingest import ingest_paths
    from qa_bot.runtime import open_runtime

    with tempfile.TemporaryDirectory(prefix="qa-bot-calibrate-") as folder:
        runtime = open_runtime(settings.with_overrides(persist_dir=Path(folder)), embedder=embedder)
        trained_on = runtime.reranker.trained_on if runtime.reranker else frozenset()
        in_corpus = [q for q in in_corpus if q.doc not in trained_on]
        if not in_corpus or not out_of_corpus:
            raise QaBotError(
                "calibration needs out-of-corpus questions and in-corpus questions on "
                "documents the reranker was not trained on (its reranker.json lists them; "
                "QA_BOT_RERANKER=none calibrates without it)"
            )
        ingest_paths(files, runtime.store, show_progress=False)
        retriever = build_retriever(runtime.settings, runtime.store)
        answerer = ExtractiveAnswerer(embedder, reranker=runtime.reranker)
        questions = [*in_corpus, *out_of_corpus]
        signals = [answerer.signals(q.question, retriever.invoke(q.question))[0] for q in questions]
    labels = [True] * len(in_corpus) + [False] * len(out_of_corpus)
    model = ConfidenceModel.fit(signals, labels)
    scores = [model(s) for s in signals]
    inside, outside = scores[: len(in_corpus)], scores[len(in_corpus) :]
    answered = math.ceil(target_answer_rate * len(inside) - 1e-9)  # at least the target
    threshold = sorted(inside, reverse=True)[max(0, answered - 1)]
    threshold = math.floor(threshold * 1000) / 1000  # as printed, still answering the target
    return Calibration(
        replace(model, threshold=threshold),
        {
            "in_corpus_questions": len(inside),
            "out_of_corpus_questions": len(outside),
            "answer_rate": _share(p >= threshold for p in inside),
            "abstain_rate": _share(p < threshold for p in outside),
            "auc": roc_auc(inside, outside),
            "auc_top_dense_alone": roc_auc(
                [s.top_dense for s in signals[: len(inside)]],
                [s.top_dense for s in signals[len(inside) :]],
            ),
        },
    )


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """P(a positive scores above a negative), ties counting half."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def format_table(rows: dict[str, dict[str, float | int | None]]) -> str:
    """Metrics down, one column per named run."""
    names = list(rows)
    metrics: list[str] = []
    for figures in rows.values():
        metrics.extend(m for m in figures if m not in metrics)
    width = max(len(m) for m in ["metric", *metrics])
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{n:>12}" for n in names)]
    for metric in metrics:
        cells = [_cell(rows[n].get(metric)) for n in names]
        lines.append(f"{metric:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def _cell(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
