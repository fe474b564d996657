"""Which squad-dev answers a change moved: every question's outcome, saved, and two runs compared.

    python benchmarks/per_question.py OUT.json [DATA_DIR] [--compare BEFORE.json]

Every question is asked of one store holding all the articles, and the questions of the last
8 articles (sorted by name) of a store holding the others, for abstention. A run takes about
4 minutes on 2 cores. Run it on the commit before a change (a git worktree with PYTHONPATH set to
it) and after, then --compare: the summary figures move by a question or two, and this names them.
Two runs of the same code can differ by a question whose confidence sits on the threshold
("What was Brown's job?" has been answered in one store and declined in another).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from qa_bot import evaluation as ev
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
from qa_bot.ingest import ingest_paths
from qa_bot.runtime import open_runtime

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "squad-dev"
HELD_OUT = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("data", type=Path, nargs="?", default=DEFAULT_DATA)
    parser.add_argument("--compare", type=Path, help="an earlier run's OUT.json")
    args = parser.parse_args()
    files = sorted((args.data / "docs").glob("*.txt"))
    questions = ev.load_questions(args.data / "questions.jsonl")
    settings = Settings()
    embedder = make_embedder(settings)
    outcomes: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, indexed, asked in (
            ("", files, questions),
            ("held-out:", files[:-HELD_OUT], _of(questions, files[-HELD_OUT:])),
        ):
            runtime = open_runtime(
                settings.with_overrides(persist_dir=Path(folder) / (name or "all")),
                embedder=embedder,
            )
            ingest_paths(indexed, runtime.store, show_progress=False)
            for question in asked:
                answer = runtime.chain.invoke({"question": question.question, "history": []})
                scored = ev.score(question, answer)
                outcomes[name + question.id] = {
                    "question": question.question,
                    "answered": scored.answered,
                    "answer_hit": scored.answer_hit,
                    "citation_hit": scored.citation_hit,
                    "text": answer.text[:300],
                }
    args.out.write_text(json.dumps(outcomes, indent=0), "utf-8")
    print(_summary(outcomes))
    if args.compare:
        before = json.loads(args.compare.read_text("utf-8"))
        print(f"against {args.compare}: {_summary(before)}")
        for line in _moved(before, outcomes):
            print(line)


def _of(questions: list[ev.Question], files: list[Path]) -> list[ev.Question]:
    names = {path.name for path in files}
    return [question for question in questions if question.doc in names]


def _summary(outcomes: dict[str, dict]) -> str:
    asked = [o for key, o in outcomes.items() if not key.startswith("held-out:")]
    held_out = [o for key, o in outcomes.items() if key.startswith("held-out:")]
    answered = [o for o in asked if o["answered"]]
    return (
        f"answer_hit {sum(o['answer_hit'] for o in asked) / len(asked):.4f}, "
        f"citation_precision {sum(o['citation_hit'] for o in answered) / len(answered):.4f}, "
        f"answer_rate {len(answered) / len(asked):.4f}, "
        f"held-out abstain {sum(not o['answered'] for o in held_out) / len(held_out):.4f}"
    )


def _moved(before: dict[str, dict], after: dict[str, dict]):  # noqa: ANN202
    """A line per question whose outcome changed, with both answers."""
    for key, now in after.items():
        then = before.get(key)
        fields = ("answered", "answer_hit", "citation_hit")
        if then is None or all(then[f] == now[f] for f in fields):
            continue
        verdict = (
            "won"
            if now["answer_hit"] > then["answer_hit"]
            else "lost"
            if now["answer_hit"] < then["answer_hit"]
            else "moved"
        )
        yield (
            f"{verdict}: {now['question']}\n"
            f"  before: {then['text'][:150]}\n  after:  {now['text'][:150]}"
        )


if __name__ == "__main__":
    main()
