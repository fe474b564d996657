"""Several qa_bot processes on one Chroma server: writes by one are answered from by another."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.runtime import Runtime, open_runtime
from tests.servers import qa_bot, qa_bot_env
from tests.test_store_contract import LIBRARY, write

pytestmark = pytest.mark.slow

QUESTION = "Who issues the Quetzalcoatlus pass?"


def _ask(runtime: Runtime) -> list[str]:
    answer = runtime.chain.invoke({"question": QUESTION, "history": []})
    return [source.file_name for source in answer.citations]


def _eventually(check, within: float) -> float:  # noqa: ANN001
    """Seconds until check() is true; fails after `within` seconds."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "the replica did not catch up in time"
        time.sleep(0.1)
    return time.monotonic() - start


def test_cli_writes_reach_a_running_replica(
    chroma_url: str, embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    collection = f"r{uuid.uuid4().hex[:12]}"
    replica = open_runtime(
        Settings(
            persist_dir=tmp_path / "replica",
            chroma_url=chroma_url,
            collection=collection,
            sync_interval=1.0,
        ),
        embedder=embedder,
    )
    assert replica.store.documents() == []
    env = qa_bot_env(chroma_url=chroma_url, collection=collection, persist_dir=tmp_path / "cli")
    path = write(tmp_path / "in", "library.txt", LIBRARY)

    assert "library.txt: added" in qa_bot(["ingest", str(path)], env)
    # Bounded staleness: sync_interval (1 s) plus one check.
    _eventually(lambda: _ask(replica) == ["library.txt"], within=3.0)
    hits = replica.store.keyword_search("Quetzalcoatlus", 3)
    assert hits and hits[0][0].startswith(replica.store.documents()[0].doc_id)

    assert "removed library.txt" in qa_bot(["remove", replica.store.documents()[0].doc_id], env)
    _eventually(lambda: replica.store.documents() == [], within=3.0)
    assert _ask(replica) == []
    assert replica.store.keyword_search("Quetzalcoatlus", 3) == []
