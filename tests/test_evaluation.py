"""The eval harness: metric functions checked by hand on tiny answers, and one small real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_bot import evaluation as ev
from qa_bot.answers import NOT_FOUND, Answer, Source
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.reranking import BUILTIN

SQUAD_SAMPLE = Path(__file__).resolve().parent / "fixtures" / "squad-sample"


def _source(number: int, text: str) -> Source:
    return Source(number, f"c{number}", "/d/t.txt", "t.txt", "T", None, 0, len(text), text, 0.1)


def _answer(text: str, chunks: list[str], abstained: bool = False) -> Answer:
    sources = tuple(_source(i + 1, chunk) for i, chunk in enumerate(chunks))
    return Answer(
        "q", "q", text, sources, confidence=0.3 if abstained else 0.9, abstained=abstained
    )


def _q(qid: str, question: str, *answers: str, doc: str = "t.txt") -> ev.Question:
    return ev.Question(qid, question, answers, doc)


# Three in-corpus questions, scored by hand:
#   q1: top chunk and first sentence hold "1856", first citation [1] holds it -> all hits.
#   q2: gold only in chunk 2; the answer quotes chunk 1 -> context hit only.
#   q3: gold in the top chunk but the bot declined -> retrieval and context hits.
CASES = [
    (
        _q("q1", "When was Tesla born?", "1856", "10 July 1856"),
        _answer(
            "Tesla was born in 1856 in Smiljan. [1] He studied in Graz. [2]",
            ["Tesla was born in 1856 in Smiljan.", "He studied in Graz."],
        ),
    ),
    (
        _q("q2", "Where did Tesla move?", "New York"),
        _answer(
            "He worked in Paris. [1]",
            ["He worked in Paris.", "In 1884 he moved to new york City."],
        ),
    ),
    (
        _q("q3", "What does AC stand for?", "alternating current"),
        _answer(NOT_FOUND, ["The alternating current (AC) system."], abstained=True),
    ),
]


def test_score_each_question_by_hand() -> None:
    outcomes = [ev.score(q, a) for q, a in CASES]
    assert [
        (o.retrieval_hit, o.context_hit, o.answered, o.answer_hit, o.citation_hit) for o in outcomes
    ] == [
        (True, True, True, True, True),
        (False, True, True, False, False),
        (True, True, False, False, False),
    ]
    assert [o.first_sentence_chars for o in outcomes] == [34, 19, 0]


def test_summarise_by_hand() -> None:
    outcomes = [ev.score(q, a) for q, a in CASES]
    declined = [
        _answer(NOT_FOUND, ["x"], abstained=True),
        _answer("Wrong. [1]", ["Wrong."]),
        _answer(NOT_FOUND, [], abstained=True),
        _answer(NOT_FOUND, ["y"], abstained=True),
    ]
    assert ev.summarise(outcomes, declined) == {
        "questions": 3,
        "retrieval_hit@1": 2 / 3,
        "context_hit@4000": 1.0,
        "answer_hit": 1 / 3,
        "first_sentence_chars_p50": 26.5,  # median of the answered: 34 and 19
        "citation_precision": 0.5,  # of the 2 answered, q1's first citation holds the gold
        "answer_rate": 2 / 3,
        "out_of_corpus_questions": 4,
        "abstain_rate": 0.75,
    }


def test_summarise_without_out_of_corpus_or_answers() -> None:
    figures = ev.summarise([ev.score(*CASES[2])])
    assert "abstain_rate" not in figures
    assert figures["citation_precision"] is None
    assert figures["first_sentence_chars_p50"] is None


def test_context_counts_chunks_in_rank_order_up_to_the_budget() -> None:
    early = "a" * 3000 + "gold" + "b" * 500
    assert ev.context_within(["x" * 3000, "y" * 500 + "gold" + "z" * 2000]).count("gold") == 1
    # The second chunk starts at 3000; "gold" at 3000+1500 lies past the 4,000th character.
    late = ["x" * 3000, "y" * 1500 + "gold"]
    assert "gold" not in ev.context_within(late)
    assert len(ev.context_within(late)) == 4000 + 1  # 3000 + 1000 chars, joined by one newline
    assert ev.context_within([early]) == early[:4000]
    assert "gold" in ev.context_within([early])
    assert ev.context_within(["abc", "def"], budget=4) == "abc\nd"
    assert ev.context_within([]) == ""


def test_gold_matching_ignores_case_spacing_and_blank_gold() -> None:
    assert ev.contains_answer("Moved to NEW YORK City", ["new york"])
    assert not ev.contains_answer("anything", ["", "  "])
    assert ev.contains_answer("x 1856 y", ["", "1856"])
    assert ev.contains_answer("Foreign Minister Wang\nYi and Dar", ["wang yi"])
    assert ev.contains_answer("Wang Yi", ["Wang  Yi "])
    assert ev.contains_answer("the all-\nweather partners", ["all-weather"])
    assert not ev.contains_answer("WangYi", ["wang yi"])


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("The price rose to $12. It fell later. [1]", "The price rose to $12."),
        ("Paris is big [1]. Rome too [2].", "Paris is big."),
        ("In 1973 Dr. Smith left. [1] Then more. [2]", "In 1973 Dr. Smith left."),
        ("No marker, one sentence", "No marker, one sentence"),
    ],
)
def test_first_sentence(text: str, first: str) -> None:
    assert ev.first_sentence(text) == first


def test_percentile_is_nearest_rank() -> None:
    assert ev.percentile([40, 10, 30, 20], 50) == 20
    assert ev.percentile([40, 10, 30, 20], 95) == 40
    assert ev.percentile([7.5], 50) == 7.5
    assert ev.percentile([], 50) is None


def test_sample_and_holdout_are_fixed_by_the_seed() -> None:
    questions = [_q(str(i), f"q{i}", "a") for i in range(10)]
    first = ev.sample(questions, 4, seed=3)
    assert first == ev.sample(questions, 4, seed=3)
    assert [q.id for q in first] == sorted((q.id for q in first), key=int)  # file order
    assert ev.sample(questions, None, 0) == questions
    indexed, held = ev.split_holdout(["c", "a", "b", "d"], 1, seed=0)
    assert len(held) == 1 and sorted(indexed + held) == ["a", "b", "c", "d"]


def test_follow_ups_replace_the_subject_in_the_second_question() -> None:
    paragraphs = {
        "t.txt": [
            "Nikola Tesla was born in 1856. He was an inventor. He liked pigeons. He was tall.",
            "Tesla moved to New York in 1884 and worked for Edison.",
        ]
    }
    questions = [
        _q("1", "When did Tesla move to the US?", "1884"),
        _q("2", "Whom did Nikola Tesla work for?", "Edison"),
        _q("3", "When was Tesla born?", "1856"),  # alone in its paragraph: no pair
        _q("4", "Where did he go?", "New York"),  # does not name the subject
    ]
    pairs = ev.make_follow_ups(questions, paragraphs, {"t.txt": "Nikola Tesla"})
    assert [(p.first.id, p.second.id, p.pronoun_question) for p in pairs] == [
        ("1", "2", "Whom did he work for?")
    ]
    assert ev.replace_subject("What is the Oxygen's mass?", "Oxygen", "it") == "What is its mass?"
    assert ev.subject_pronoun("It is a gas. It burns.") == "it"


def test_load_questions_reads_the_squad_dev_format(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    row = {"id": "x1", "question": "Q?", "answers": ["a", "b"], "doc": "D.txt"}
    path.write_text(json.dumps(row) + "\n\n", encoding="utf-8")
    assert ev.load_questions(path) == [ev.Question("x1", "Q?", ("a", "b"), "D.txt")]


def test_format_table_lines_up_runs() -> None:
    table = ev.format_table({"a": {"x": 0.5, "n": 3}, "b": {"x": 12.25, "y": None}})
    assert table.splitlines() == [
        "metric             a             b",
        "x              0.500          12.2",
        "n                  3             -",
        "y                  -             -",
    ]


def test_run_eval_on_a_squad_sample(settings: Settings, embedder: SentenceEmbedder) -> None:
    """A real, small run: one article indexed, the other's questions must be declined."""
    files = sorted((SQUAD_SAMPLE / "docs").glob("*.txt"))
    questions = ev.load_questions(SQUAD_SAMPLE / "questions.jsonl")
    indexed, held = ev.split_holdout([f.name for f in files], 1, seed=0)
    report = ev.run_eval(
        settings,
        embedder,
        [f for f in files if f.name in indexed],
        [q for q in questions if q.doc in indexed],
        [q for q in questions if q.doc in held],
    )
    figures = report.figures
    assert figures["questions"] == len(report.outcomes) > 0
    for key in ("retrieval_hit@1", "context_hit@4000", "answer_rate", "abstain_rate"):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["ingest_chars_per_s"] > 0 and figures["query_ms_p50"] > 0
    assert figures["context_hit@4000"] >= figures["retrieval_hit@1"]
    # bench.py splits its no-reranker run by these, without opening the model again
    built_in = json.loads((BUILTIN / "reranker.json").read_text(encoding="utf-8"))
    assert settings.reranker == "builtin"
    assert report.trained_on == frozenset(built_in["trained_on"])


def test_confidence_model_fit_separates_and_calibrate_picks_the_threshold() -> None:
    from qa_bot.answering import ConfidenceModel, Signals

    inside = [Signals(0.6 + i / 100, 0.5, 0.8, 0.9) for i in range(10)]
    outside = [Signals(0.2 + i / 100, 0.3, 0.2, 0.3) for i in range(10)]
    model = ConfidenceModel.fit(inside + outside, [True] * 10 + [False] * 10)
    assert min(model(s) for s in inside) > 0.5 > max(model(s) for s in outside)
    assert ev.roc_auc([0.9, 0.8], [0.1, 0.8]) == (2 + 1 + 0.5) / 4


def test_calibrate_fits_the_reranker_logit_on_questions_it_did_not_learn_from(
    settings: Settings, embedder: SentenceEmbedder
) -> None:
    """Tesla is not among the built-in reranker's training articles; Oxygen is."""
    from qa_bot.errors import QaBotError

    files = sorted((SQUAD_SAMPLE / "docs").glob("*.txt"))
    questions = ev.load_questions(SQUAD_SAMPLE / "questions.jsonl")
    tesla = [q for q in questions if q.doc == "Nikola_Tesla.txt"]
    oxygen = [q for q in questions if q.doc == "Oxygen.txt"]
    trained_on = json.loads((BUILTIN / "reranker.json").read_text(encoding="utf-8"))["trained_on"]
    assert "Oxygen.txt" in trained_on and "Nikola_Tesla.txt" not in trained_on

    # Both articles indexed: the Oxygen questions are left out of the in-corpus side.
    result = ev.calibrate(settings, embedder, files, tesla + oxygen, oxygen[:3])
    assert result.figures["in_corpus_questions"] == len(tesla)
    assert result.model.answer_logit != 0.0
    # The threshold answers at least 96% of the in-corpus questions (here: all 8).
    assert result.figures["answer_rate"] == 1.0
    printed = result.describe().splitlines()[-1]
    assert printed.startswith('"confidence": {"bias": ')
    assert f'"threshold": {result.model.threshold}' in printed

    with pytest.raises(QaBotError, match="reranker was not trained on"):
        ev.calibrate(settings, embedder, files, oxygen, tesla)


def test_eval_command_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qa_bot.cli import app

    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--docs",
            str(SQUAD_SAMPLE / "docs"),
            "--questions",
            str(SQUAD_SAMPLE / "questions.jsonl"),
            "--holdout",
            "1",
            "--sample",
            "4",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "retrieval_hit@1" in result.output and "abstain_rate" in result.output
    figures = json.loads(out.read_text())
    assert figures["questions"] == 4 and figures["out_of_corpus_questions"] == 4


def test_unseen_figures_leave_out_the_rerankers_training_documents() -> None:
    outcomes = [ev.score(q, a) for q, a in CASES]
    questions = [
        _q("q1", "x", "1856", doc="a.txt"),
        _q("q2", "x", "New York", doc="b.txt"),
        _q("q3", "x", "alternating current", doc="b.txt"),
    ]
    assert ev.unseen_figures(outcomes, questions, frozenset({"a.txt"})) == {
        "questions_unseen_by_reranker": 2,
        "answer_hit_unseen_by_reranker": 0.0,  # q2 quotes the wrong chunk, q3 declined
        "citation_precision_unseen_by_reranker": 0.0,  # of q2, the only one answered
        "answer_rate_unseen_by_reranker": 0.5,
    }
    assert ev.unseen_figures(outcomes, questions, frozenset()) == {}
