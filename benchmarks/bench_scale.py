"""`make bench-scale`: ingest and query speed at 10k and 100k chunks, embedded Chroma and server.

The corpus is real documentation installed from Debian packages, read in this order, whole files,
until the wanted number of chunks is reached: python3-doc (HTML of the Python 3.11 manuals),
postgresql-doc-15 (HTML of the PostgreSQL 15 manual), git-doc (HTML of Git's manual pages),
linux-doc (reStructuredText of the Linux 6.1 kernel documentation, read as plain text) and
perl-doc (POD of the Perl 5.36 manuals, read as plain text); together about 115,000 chunks.
Install them with `apt-get install python3-doc postgresql-doc-15 git-doc linux-doc perl-doc`.

    python benchmarks/bench_scale.py [--chunks 100000] [--checkpoint 10000] [--no-recipe]
        [--modes embedded,server] [--backends onnx-int8,torch]

Embedded: the files up to the checkpoint are ingested (timed) and queried, then the rest (timed),
then queried again, with the first backend; other backends are timed to the checkpoint only.
Server: a fresh `chroma run` gets the checkpoint's files through qa_bot (timed, queried); then the
full embedded store, copied, is served by `chroma run` and opened as a new replica would open it
(its start rebuilds the keyword index from the server), and queried. Reported: ingest chars/s and
chunks/s, peak RSS of this process (and of the Chroma server), store size on disk, and query
p50/p95 of the whole chain (condense, hybrid retrieval, extractive answer). It also times
the LangChain tutorial recipe's ingest (RecursiveCharacterTextSplitter 1000/200, the same MiniLM
with torch, Chroma) on the checkpoint's files, first, in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from recipe import recipe_store

from qa_bot import evaluation as ev
from qa_bot.chunking import chunk_document
from qa_bot.config import Settings, apply_environment
from qa_bot.embeddings import make_embedder, resolve_model
from qa_bot.errors import DocumentError
from qa_bot.ingest import ingest_paths
from qa_bot.loaders import load_document
from qa_bot.runtime import open_runtime
from qa_bot.sandbox import SandboxWorkers

PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")
POSTGRES_DOCS = Path("/usr/share/doc/postgresql-doc-15/html")
GIT_DOCS = Path("/usr/share/doc/git-doc")
LINUX_DOCS = Path("/usr/share/doc/linux-doc/Documentation")
PERL_DOCS = Path("/usr/share/perl/5.36.0/pod")
PACKAGES = "python3-doc postgresql-doc-15 git-doc linux-doc perl-doc"

QUESTIONS = [
    "How do I create a virtual environment?",
    "What does the global interpreter lock protect?",
    "How can I read a file line by line?",
    "What is the difference between a list and a tuple?",
    "How do I handle exceptions raised inside a thread?",
    "What does the walrus operator do?",
    "How are default argument values evaluated?",
    "How do I format a date with strftime?",
    "What does asyncio.gather return?",
    "How do I compare floating point numbers safely?",
    "How do I limit the memory of a cgroup?",
    "What is the purpose of the device tree?",
    "How do I submit a patch to the kernel mailing list?",
    "What does the OOM killer do?",
    "How do I enable dynamic debug messages?",
    "What is RCU and when should it be used?",
    "How are kernel modules signed?",
    "What scheduler classes does Linux have?",
    "How do I configure huge pages?",
    "What is the ftrace function tracer?",
]


def corpus_files(work: Path) -> list[Path]:
    """The HTML manuals as they are, then kernel .rst and Perl .pod files as plain-text copies."""
    files: list[Path] = []
    for folder in (PYTHON_DOCS, POSTGRES_DOCS, GIT_DOCS):
        files += sorted(folder.rglob("*.html")) if folder.is_dir() else []
    for folder, pattern, name in ((LINUX_DOCS, "*.rst*", "linux"), (PERL_DOCS, "*.pod", "perl")):
        for source in sorted(folder.rglob(pattern)) if folder.is_dir() else []:
            relative = source.relative_to(folder).as_posix().removesuffix(".gz")
            target = work / name / (relative.rsplit(".", 1)[0] + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.suffix == ".gz":
                target.write_bytes(gzip.decompress(source.read_bytes()))
            else:
                shutil.copyfile(source, target)
            files.append(target)
    return files


@dataclass
class Batch:
    """Files ingested together; the chunk count is cumulative up to and including them."""

    files: list[Path] = field(default_factory=list)
    chunks: int = 0
    chars: int = 0


def select(files: list[Path], settings: Settings, limits: list[int]) -> list[Batch]:
    """Whole files in order, cut into batches at each limit of cumulative chunks (untimed).

    Each file is parsed once here; the batches carry what the later rows need to know of them.
    """
    batches = [Batch() for _ in limits]
    total, index = 0, 0
    with SandboxWorkers() as workers:
        for path in files:
            if index == len(limits):
                break
            try:
                document = load_document(path, workers=workers)
            except DocumentError:
                continue
            total += len(chunk_document(document, settings.chunk_size, settings.chunk_overlap))
            batch = batches[index]
            batch.files.append(path)
            batch.chunks = total
            batch.chars += len(document.text)
            if total >= limits[index]:
                index += 1
    return [b for b in batches if b.files]


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def peak_rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query_times(runtime, rounds: int = 2) -> list[float]:  # noqa: ANN001
    runtime.chain.invoke({"question": QUESTIONS[0], "history": []})  # warm caches
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            runtime.embedder._query_cache.cache_clear()  # every question embedded afresh
            started = time.perf_counter()
            runtime.chain.invoke({"question": question, "history": []})
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def ingest_and_query(
    label: str,
    runtime,
    batches: list[Batch],
    server: subprocess.Popen | None,
    store_dir: Path,  # noqa: ANN001
) -> dict[str, dict]:
    """Ingest the batches in turn (timed), querying after each: one row per checkpoint."""
    rows: dict[str, dict] = {}
    ingested_s, chars = 0.0, 0
    for batch in batches:
        count = batch.chunks
        chars += batch.chars
        started = time.perf_counter()
        ingest_paths(batch.files, runtime.store, show_progress=False)
        ingested_s += time.perf_counter() - started
        timings = query_times(runtime)
        chunks = runtime.store.chunk_count()
        rows[f"{label} @{count}"] = {
            "chunks": chunks,
            "documents": len(runtime.store.documents()),
            "ingest_s": round(ingested_s, 1),
            "ingest_chars_per_s": round(chars / ingested_s),
            "ingest_chunks_per_s": round(chunks / ingested_s, 1),
            "peak_rss_mb": round(peak_rss_mb()),
            "chroma_server_peak_rss_mb": round(peak_rss_mb(server.pid)) if server else None,
            "store_mb": round(folder_mb(store_dir), 1),
            "query_ms_p50": round(ev.percentile(timings, 50), 1),
            "query_ms_p95": round(ev.percentile(timings, 95), 1),
        }
        print(f"{label}: {rows[f'{label} @{count}']}", flush=True)
    return rows


def run_embedded(batches: list[Batch], embedder, settings: Settings, work: Path) -> dict[str, dict]:  # noqa: ANN001
    store_dir = work / f"store-embedded-{embedder.backend}"
    runtime = open_runtime(settings.with_overrides(persist_dir=store_dir), embedder=embedder)
    return ingest_and_query(f"embedded {embedder.backend}", runtime, batches, None, store_dir)


def run_server_ingest(batch: Batch, embedder, settings: Settings, work: Path) -> dict[str, dict]:  # noqa: ANN001
    """A fresh Chroma server, the first batch ingested through it (timed) and queried."""
    chroma_dir = work / "chroma-server"
    with chroma_run(chroma_dir, work / "chroma.log") as (url, server):
        runtime = open_runtime(settings.with_overrides(chroma_url=url), embedder=embedder)
        label = f"server {embedder.backend}"
        return ingest_and_query(label, runtime, [batch], server, chroma_dir)


def run_server_replica(count: int, embedder, settings: Settings, work: Path) -> dict[str, dict]:  # noqa: ANN001
    """The embedded store, copied and served by `chroma run`, opened as a new replica would.

    Ingesting the whole corpus a second time through the server would double an hours-long
    run; the server reads the embedded client's files as they are, so the query side at full
    size is measured on a copy. The replica's start includes rebuilding its keyword index
    from the chunks the server stores.
    """
    chroma_dir = work / "chroma-replica"
    embedded = work / f"store-embedded-{embedder.backend}"
    shutil.copytree(embedded, chroma_dir, ignore=shutil.ignore_patterns("keyword"))
    with chroma_run(chroma_dir, work / "chroma-replica.log") as (url, server):
        started = time.perf_counter()
        runtime = open_runtime(settings.with_overrides(chroma_url=url), embedder=embedder)
        opened_s = time.perf_counter() - started
        timings = query_times(runtime)
        row = {
            "chunks": runtime.store.chunk_count(),
            "documents": len(runtime.store.documents()),
            "replica_start_s": round(opened_s, 1),
            "chroma_server_peak_rss_mb": round(peak_rss_mb(server.pid)),
            "store_mb": round(folder_mb(chroma_dir), 1),
            "query_ms_p50": round(ev.percentile(timings, 50), 1),
            "query_ms_p95": round(ev.percentile(timings, 95), 1),
        }
    label = f"server replica @{count}"
    print(f"{label}: {row}", flush=True)
    return {label: row}


@contextmanager
def chroma_run(path: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`chroma run` on a free loopback port, stopped on the way out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = str(Path(sys.executable).parent / "chroma")
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_chroma(port)
            yield f"http://127.0.0.1:{port}", server
        finally:
            server.terminate()
            server.wait(timeout=60)


def _wait_for_chroma(port: int) -> None:
    import httpx

    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the Chroma server did not start")


def run_recipe(files: list[Path], model: str) -> dict:
    """The tutorial recipe's ingest on the same files, for the chars/s comparison."""
    with recipe_store(files, model) as ingest:
        return ingest.figures()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--checkpoint", type=int, default=10_000)
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument(
        "--backends",
        default="onnx-int8",
        help="embedding backends to ingest with (comma-separated); torch runs to the checkpoint",
    )
    parser.add_argument(
        "--recipe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the tutorial recipe's ingest on the checkpoint's files too (default: yes)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not PYTHON_DOCS.is_dir() and not LINUX_DOCS.is_dir():
        parser.error(f"no corpus: apt-get install {PACKAGES}")
    modes = {mode.strip() for mode in args.modes.split(",")}
    backends = [backend.strip() for backend in args.backends.split(",")]

    base = Settings(collection="bench", sync_interval=3600)
    apply_environment(base)
    with tempfile.TemporaryDirectory(prefix="qa-bot-bench-scale-") as tmp:
        work = Path(tmp)
        files = corpus_files(work)
        limits = sorted({min(args.checkpoint, args.chunks), args.chunks})
        batches = select(files, base, limits)
        total = batches[-1].chunks
        print(
            f"corpus: {sum(len(b.files) for b in batches)} files, "
            f"{sum(b.chars for b in batches):,} chars, {total} chunks (from {PACKAGES})",
            flush=True,
        )
        if total < args.chunks:
            print(f"warning: the installed docs give only {total} chunks", file=sys.stderr)
        rows: dict[str, dict] = {}
        if args.recipe:  # first, while the machine is as fresh as for ours
            model = resolve_model(base.embedding_model)
            rows["recipe @checkpoint"] = run_recipe(batches[0].files, model)
            print(f"recipe: {rows['recipe @checkpoint']}", flush=True)
        for backend in backends:
            settings = base.with_overrides(embedding_backend=backend)
            embedder = make_embedder(settings)
            full = backend == backends[0]  # the others only to the checkpoint, to compare speed
            wanted = batches if full else batches[:1]
            if "embedded" in modes:
                rows.update(run_embedded(wanted, embedder, settings, work))
            if "server" in modes and full:
                rows.update(run_server_ingest(batches[0], embedder, settings, work))
                if "embedded" in modes and len(batches) > 1:
                    rows.update(run_server_replica(total, embedder, settings, work))
    print()
    print(f"machine: {os.cpu_count()} CPUs; queries: {len(QUESTIONS)} questions x 2, whole chain")
    print(ev.format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
