"""Faults: kill -9 in the middle of an ingest, and a second writer on the same store."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from qa_bot.chunking import chunk_document
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.loaders import load_document
from qa_bot.store import DocumentStore, doc_id_for, version_key_for

QA_BOT = str(Path(sys.executable).with_name("qa-bot"))
_PROGRESS = re.compile(rb"(\d+)/(\d+) \[")


def _write_corpus(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"note-{n:03d}.txt"
        path.write_text(f"Note {n}: the courier for depot {n} uses codeword{n:03d} on Mondays.\n")
        paths.append(path)
    return paths


def _env(persist: Path) -> dict[str, str]:
    return {**os.environ, "QA_BOT_PERSIST_DIR": str(persist), "TQDM_MININTERVAL": "0"}


def _ingest(folder: Path, persist: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `qa-bot ingest folder` to the end in its own process."""
    return subprocess.run(
        [QA_BOT, "ingest", str(folder)],
        env=_env(persist),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class _Progress:
    """Follows the CLI's tqdm bar on stderr: how many files are done so far."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self.done = -1
        self.text = b""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:  # noqa: ANN001
        for block in iter(lambda: stream.read1(4096), b""):
            self.text += block
            found = _PROGRESS.findall(self.text[-200:])
            if found:
                self.done = int(found[-1][0])


def _ingest_and_kill(folder: Path, persist: Path, rng: random.Random, files: int) -> bool:
    """Start `qa-bot ingest`, kill -9 it after a random number of files; False if it finished."""
    target = rng.randrange(0, files)
    extra = rng.uniform(0.0, 0.3)
    process = subprocess.Popen(
        [QA_BOT, "ingest", str(folder)],
        env=_env(persist),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    progress = _Progress(process.stderr)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if progress.done >= target:
            time.sleep(extra)
            break
        time.sleep(0.01)
    if process.poll() is not None:
        assert process.returncode == 0, progress.text.decode(errors="replace")[-2000:]
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def _assert_store_is_whole(settings: Settings, embedder: SentenceEmbedder, files: list[Path]):
    store = DocumentStore(settings, embedder)
    documents = {info.doc_id: info for info in store.documents()}
    expected = {doc_id_for(str(path.resolve())): path for path in files}
    assert set(documents) == set(expected), "documents missing from or extra in the registry"
    chunks = store._chunks.get(include=["metadatas", "documents"])
    per_doc: dict[str, list[tuple[int, str, str]]] = {}
    for chunk_id, meta, text in zip(
        chunks["ids"], chunks["metadatas"], chunks["documents"], strict=True
    ):
        info = documents.get(meta["doc_id"])
        assert info is not None, f"chunk {chunk_id} belongs to no document"
        assert meta["version_key"] == info.version_key, f"stale chunk {chunk_id} left behind"
        per_doc.setdefault(meta["doc_id"], []).append((meta["chunk_index"], chunk_id, text))
    for doc_id, path in expected.items():
        loaded = load_document(path)
        info = documents[doc_id]
        assert info.content_hash == loaded.content_hash, f"{path.name}: an old version is current"
        assert info.version_key == version_key_for(loaded, store.signature)
        fresh = chunk_document(loaded, settings.chunk_size, settings.chunk_overlap)
        stored = sorted(per_doc.get(doc_id, []))
        indexes = Counter(index for index, _, _ in stored)
        assert all(n == 1 for n in indexes.values()), f"{path.name}: duplicate chunks"
        assert [text for _, _, text in stored] == [c.text for c in fresh], (
            f"{path.name}: missing or half-written chunks"
        )
        assert info.chunks == len(fresh)
    # The keyword index holds exactly the chunks Chroma holds, built from Chroma's version.
    assert len(store._keyword) == len(chunks["ids"])
    assert store._keyword.version == store._current_version()
    chunk_ids = set(chunks["ids"])
    for n, path in enumerate(files):
        hits = store.keyword_search(f"codeword{n:03d}", 1)
        assert hits and hits[0][0] in chunk_ids
        assert hits[0][0].startswith(doc_id_for(str(path.resolve())))


def _kill_loop(
    tmp_path: Path, embedder: SentenceEmbedder, *, files: int, kills: int, seed: int
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "corpus"
    persist = tmp_path / "store"
    paths = _write_corpus(folder, files)
    done_kills = runs = 0
    while done_kills < kills and runs < kills * 3:
        runs += 1
        done_kills += _ingest_and_kill(folder, persist, rng, len(paths))
        # Change a few files between runs so replacements are interrupted too.
        for path in rng.sample(paths, 5):
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"Revision {runs}: the depot moved its deliveries to Thursdays.\n")
    assert done_kills >= kills, f"only {done_kills} kills landed in {runs} runs"
    final = _ingest(folder, persist, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    assert f"{files} documents in the store" in final.stdout
    assert "failed" not in final.stdout
    settings = Settings(persist_dir=persist)
    _assert_store_is_whole(settings, embedder, paths)


def test_kill_9_during_ingest_loses_nothing_quick(
    tmp_path: Path, embedder: SentenceEmbedder, request: pytest.FixtureRequest
) -> None:
    """The quick variant for `pytest -m "not slow"`: 60 files, 3 kills."""
    if "not slow" not in (request.config.option.markexpr or ""):
        pytest.skip("the full variant (200 files, 10 kills) runs in this session")
    _kill_loop(tmp_path, embedder, files=60, kills=3, seed=5)


@pytest.mark.slow
def test_kill_9_during_ingest_loses_nothing(tmp_path: Path, embedder: SentenceEmbedder) -> None:
    """The full variant: 200 files, 10 kills at random points."""
    _kill_loop(tmp_path, embedder, files=200, kills=10, seed=11)


def test_second_writer_gets_a_clear_error_naming_the_lock(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    persist = tmp_path / "store"
    folder = tmp_path / "corpus"
    files = _write_corpus(folder, 3)
    store = DocumentStore(Settings(persist_dir=persist), embedder)
    with store.writing():
        second = _ingest(folder, persist, timeout=120)
    assert second.returncode != 0
    assert "another process is writing" in second.stderr
    assert ".documents.write.lock" in second.stderr
    assert "QA_BOT_CHROMA_URL" in second.stderr
    assert "Traceback" not in second.stderr
    assert store.documents() == []
    # Once the first writer is done, the same command succeeds.
    again = _ingest(folder, persist, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"{len(files)} added" in again.stdout
