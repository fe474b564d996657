"""`make bench`: our chain against the LangChain tutorial recipe, same documents and questions.

The recipe is what a user would otherwise copy: RecursiveCharacterTextSplitter(1000, 200), the same
MiniLM embeddings, Chroma, similarity search with k=4. Both are scored by qa_bot.evaluation.

    python benchmarks/bench.py [DATA_DIR] [--sample N] [--holdout N] [--follow-ups N] [--json OUT]

DATA_DIR holds docs/ and questions.jsonl (default: ../shared/squad-dev beside the repo). The
abstention figures come from a second run that leaves --holdout articles unindexed and asks
their questions too; a third run turns the sentence reranker off, to show what it adds. The
`*_unseen_by_reranker` rows count only articles the built-in reranker was not trained on.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from recipe import recipe_store

from qa_bot import evaluation as ev
from qa_bot.config import Settings, apply_environment
from qa_bot.embeddings import SentenceEmbedder, make_embedder, resolve_model
from qa_bot.loaders import iter_files

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "squad-dev"


def run_recipe(files: list[Path], questions: list[ev.Question], model: str) -> dict:
    """The tutorial pipeline, timed and scored like ours (it never abstains, never answers)."""
    with recipe_store(files, model) as ingest:
        top1, context, timings = [], [], []
        for q in questions:
            t0 = time.perf_counter()
            hits = ingest.store.similarity_search(q.question, k=4)
            timings.append((time.perf_counter() - t0) * 1000)
            chunks = [doc.page_content for doc in hits]
            top1.append(bool(chunks) and ev.contains_answer(chunks[0], q.answers))
            context.append(ev.contains_answer(ev.context_within(chunks), q.answers))
    return {
        "questions": len(questions),
        "retrieval_hit@1": sum(top1) / len(top1),
        f"context_hit@{ev.CONTEXT_BUDGET}": sum(context) / len(context),
        "answer_rate": 1.0,
        "holdout_abstain_rate": 0.0,
        "ingest_chars_per_s": ingest.chars / ingest.seconds,
        "query_ms_p50": ev.percentile(timings, 50),
        "query_ms_p95": ev.percentile(timings, 95),
    }


def data_parser(doc: str, sample_default: int | None) -> argparse.ArgumentParser:
    """The arguments every squad-dev benchmark takes: DATA_DIR, --sample, --seed, --json."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--sample",
        type=int,
        default=sample_default,
        help=f"questions (default {sample_default or 'all'})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    return parser


def open_data(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[Settings, SentenceEmbedder, list[Path], list[ev.Question]]:
    """The settings (environment applied), the embedder, the articles and all their questions."""
    if not (args.data / "questions.jsonl").exists():
        parser.error(f"no questions.jsonl in {args.data}; give the data folder as an argument")
    settings = Settings()
    apply_environment(settings)
    files = list(iter_files([args.data / "docs"]))
    questions = ev.load_questions(args.data / "questions.jsonl")
    return settings, make_embedder(settings), files, questions


def main() -> None:
    parser = data_parser(__doc__, sample_default=None)
    parser.add_argument("--holdout", type=int, default=8, help="articles left out for abstention")
    parser.add_argument("--follow-ups", type=int, default=300)
    args = parser.parse_args()
    settings, embedder, files, questions = open_data(parser, args)
    asked = ev.sample(questions, args.sample, args.seed)
    pairs = ev.sample(
        ev.make_follow_ups(questions, *ev.read_articles(files)), args.follow_ups, args.seed
    )

    print(f"qa_bot on {len(files)} documents, {len(asked)} questions, {len(pairs)} follow-ups")
    main_run = ev.run_eval(settings, embedder, files, asked, follow_ups=pairs, progress=print)
    ours = main_run.figures

    indexed, held = ev.split_holdout([f.name for f in files], args.holdout, args.seed)
    print(f"qa_bot with {len(held)} articles held out (their questions must be declined)")
    answerable = ev.sample([q for q in questions if q.doc in indexed], args.sample, args.seed)
    holdout_run = ev.run_eval(
        settings,
        embedder,
        [f for f in files if f.name in indexed],
        answerable,
        ev.sample([q for q in questions if q.doc in held], args.sample, args.seed),
        progress=print,
    )
    holdout = holdout_run.figures
    ours["holdout_answer_rate"] = holdout["answer_rate"]
    # The reranker's logit is a confidence signal, and it flatters the articles it learnt from.
    unseen_holdout = ev.unseen_figures(holdout_run.outcomes, answerable, holdout_run.trained_on)
    ours["holdout_answer_rate_unseen_by_reranker"] = unseen_holdout.get(
        "answer_rate_unseen_by_reranker"
    )
    ours["holdout_abstain_rate"] = holdout["abstain_rate"]
    ours["holdout_out_of_corpus_questions"] = holdout["out_of_corpus_questions"]

    rows = {"qa_bot": ours}
    if settings.reranker != "none":
        print("qa_bot without the sentence reranker (QA_BOT_RERANKER=none)")
        plain = settings.with_overrides(reranker="none")
        report = ev.run_eval(plain, embedder, files, asked, progress=print)
        # The same questions as the reranker's unseen rows, for a like-for-like comparison.
        unseen = ev.unseen_figures(report.outcomes, asked, main_run.trained_on)
        rows["no reranker"] = report.figures | unseen

    print("tutorial recipe (RecursiveCharacterTextSplitter 1000/200, MiniLM, Chroma, k=4)")
    recipe = run_recipe(files, asked, resolve_model(settings.embedding_model))

    ratio = {
        key: ours[key] / value
        for key, value in recipe.items()
        if key != "questions" and isinstance(ours.get(key), float | int) and value
    }
    print()
    print(ev.format_table({**rows, "recipe": recipe, "ratio": ratio}))
    if args.json:
        args.json.write_text(json.dumps({**rows, "recipe": recipe}, indent=2))


if __name__ == "__main__":
    main()
