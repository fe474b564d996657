"""The sentence reranker: the built-in model, its setting, and how it reorders the scorer's best."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.documents import Document

from qa_bot.answering import ConfidenceModel, ExtractiveAnswerer, ScoredSentence, rerank
from qa_bot.chain import build_retriever
from qa_bot.errors import ConfigError
from qa_bot.reranking import (
    BUILTIN,
    Candidate,
    SentenceReranker,
    candidate_in,
    make_reranker,
    pair_text,
)

ROOT = Path(__file__).resolve().parents[1]


class FixedLogits(SentenceReranker):
    """Returns the logits it was given, in order: the reorder logic without a model."""

    def __init__(self, logits: list[float], top: int, weight: float = 1.0) -> None:
        self._logits = logits
        self.top = top
        self.weight = weight
        self.seen: list[str] = []

    def logits(self, question: str, candidates: list[Candidate]):  # noqa: ANN201
        import numpy as np

        self.seen = [c.text for c in candidates]
        return np.array(self._logits[: len(candidates)])


def _scored(text: str, sentences: list[str], scores: list[float]) -> list[ScoredSentence]:
    found, start = [], 0
    for sentence, score in zip(sentences, scores, strict=True):
        start = text.index(sentence, start)
        found.append(ScoredSentence(0, start, start + len(sentence), sentence, 0.5, 0.5, score))
    return found


def test_builtin_reranker_prefers_the_sentence_that_answers() -> None:
    reranker = make_reranker("builtin")
    assert reranker is not None and reranker.top >= 2 and reranker.trained_on
    question = "In what year was the bridge completed?"
    candidates = [
        Candidate("The bridge spans the river near the old town.", ""),
        Candidate("It was designed by a local engineering firm.", "The bridge is made of steel."),
        Candidate("Construction of the bridge was finished in 1932 after four years.", ""),
        Candidate("The bridge is painted red every ten years.", ""),
    ]
    logits = reranker.logits(question, candidates)
    assert logits.shape == (4,)
    assert int(logits.argmax()) == 2


def test_rerank_reorders_only_the_scorers_best_few() -> None:
    text = "Alpha one. Beta two. Gamma three. Delta four. Epsilon five."
    sentences = ["Alpha one.", "Beta two.", "Gamma three.", "Delta four.", "Epsilon five."]
    scored = _scored(text, sentences, [1.0, 0.9, 0.8, 0.7, 0.6])
    docs = [Document(page_content=text)]
    # The third sentence jumps to the front; the first sinks, but never behind the two the
    # reranker did not read.
    reranker = FixedLogits([-100.0, 0.0, 0.5], top=3)
    reordered, logits = rerank(reranker, "q", scored, docs)
    order = [s.text for s in reordered]
    assert order == ["Gamma three.", "Beta two.", "Alpha one.", "Delta four.", "Epsilon five."]
    assert logits.tolist() == [-100.0, 0.0, 0.5]
    assert reranker.seen == sentences[:3]


def test_the_confidence_model_comes_with_the_reranker() -> None:
    builtin = make_reranker("builtin")
    assert builtin is not None and builtin.confidence
    model = ConfidenceModel.for_reranker(builtin)
    assert model == ConfidenceModel(**builtin.confidence) and model.answer_logit > 0
    # Without a reranker, or with one never calibrated, the logit has no say.
    assert ConfidenceModel.for_reranker(None) == ConfidenceModel()
    assert ConfidenceModel.for_reranker(FixedLogits([0.0], top=1)).answer_logit == 0.0
    bad = FixedLogits([0.0], top=1)
    bad.confidence = {"bias": 1.0, "relevance": 2.0}
    with pytest.raises(ConfigError, match="calibrate"):
        ConfidenceModel.for_reranker(bad)


def test_a_low_logit_makes_the_answerer_decline(sample_runtime) -> None:  # noqa: ANN001
    """The same retrieved passages answer or not, by what the reranker read in them."""
    question = "Who co-chaired the strategic dialogue?"
    docs = build_retriever(sample_runtime.settings, sample_runtime.store).invoke(question)
    answers = {}
    for logit in (4.0, -4.0):
        reranker = FixedLogits([logit] * 2, top=2, weight=0.1)
        signals = ("top_dense", "sentence_similarity", "overlap", "coverage")
        reranker.confidence = {
            **dict.fromkeys(["bias", *signals], 0.0),
            "answer_logit": 1.0,
            "threshold": 0.5,
        }
        answerer = ExtractiveAnswerer(sample_runtime.embedder, reranker=reranker)
        answers[logit] = answerer.invoke({"question": question, "docs": docs})
    assert not answers[4.0].abstained and answers[4.0].confidence > 0.9
    assert answers[-4.0].abstained and answers[-4.0].confidence < 0.5


def test_the_model_reads_each_sentence_with_the_text_before_it() -> None:
    text = "Tesla moved to Paris.   He worked for Edison there."
    start = text.index("He")
    candidate = candidate_in(text, start, len(text))
    assert candidate == Candidate("He worked for Edison there.", "Tesla moved to Paris.")
    assert pair_text(candidate) == "He worked for Edison there. || Tesla moved to Paris."
    assert pair_text(candidate_in(text, 0, start - 3)) == "Tesla moved to Paris."
    long_before = Candidate("S.", "x" * 500)
    assert pair_text(long_before) == "S. || " + "x" * 120


def test_reranker_setting_none_and_bad_folders(tmp_path: Path) -> None:
    assert make_reranker("none") is None
    with pytest.raises(ConfigError, match="no reranker model at .*model.onnx.*QA_BOT_RERANKER"):
        make_reranker(str(tmp_path))
    (tmp_path / "model.onnx").write_bytes((BUILTIN / "model.onnx").read_bytes())
    (tmp_path / "reranker.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"reranker\.json: unreadable"):
        make_reranker(str(tmp_path))
    meta = json.loads((BUILTIN / "reranker.json").read_text(encoding="utf-8"))
    for confidence in ([0.1, 0.2], {"bias": "high"}):
        text = json.dumps({**meta, "confidence": confidence})
        (tmp_path / "reranker.json").write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=r"reranker\.json: unreadable"):
            make_reranker(str(tmp_path))


def test_builtin_settings_record_what_trained_it() -> None:
    meta = json.loads((BUILTIN / "reranker.json").read_text(encoding="utf-8"))
    assert set(meta) >= {"top", "weight", "max_length", "trained_on", "confidence"}
    assert all(name.endswith(".txt") for name in meta["trained_on"])


def test_train_reranker_runs_end_to_end_on_the_squad_sample(tmp_path: Path) -> None:
    """candidates -> train -> export on two articles; the export loads as a reranker."""
    import subprocess
    import sys

    script = [sys.executable, str(ROOT / "benchmarks" / "train_reranker.py")]
    cands, model, out = tmp_path / "cands.jsonl", tmp_path / "model", tmp_path / "export"
    for args in (
        ["candidates", str(ROOT / "tests" / "fixtures" / "squad-sample"), "--out", str(cands)],
        ["train", str(cands), "--holdout", "1", "--epochs", "1", "--out", str(model)],
        ["export", str(model), "--out", str(out), "--top", "2"],
    ):
        done = subprocess.run([*script, *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((model / "trained_on.json").read_text()) in (
        ["Nikola_Tesla.txt"],
        ["Oxygen.txt"],
    )
    reranker = make_reranker(str(out))
    assert reranker is not None and reranker.top == 2
    assert len(reranker.trained_on) == 1  # one of the two articles, the other held out
    pair = [Candidate("Tesla.", ""), Candidate("Oxygen.", "")]
    assert reranker.logits("Who?", pair).shape == (2,)
