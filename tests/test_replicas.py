"""Several qa_bot processes on one Chroma server: writes by one are answered from by another."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.errors import WorkspaceNotFoundError
from qa_bot.ingest import ingest_paths
from qa_bot.runtime import Runtime, open_runtime
from qa_bot.workspaces import Workspaces
from tests.servers import eventually, qa_bot, qa_bot_env
from tests.test_store_contract import LIBRARY, write

pytestmark = pytest.mark.slow

QUESTION = "Who issues the Quetzalcoatlus pass?"
CAUGHT_UP = "the replica did not catch up in time"


def _ask(runtime: Runtime) -> list[str]:
    answer = runtime.chain.invoke({"question": QUESTION, "history": []})
    return [source.file_name for source in answer.citations]


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
    eventually(lambda: _ask(replica) == ["library.txt"], 3.0, CAUGHT_UP)
    hits = replica.store.keyword_search("Quetzalcoatlus", 3)
    assert hits and hits[0][0].startswith(replica.store.documents()[0].doc_id)

    assert "removed library.txt" in qa_bot(["remove", replica.store.documents()[0].doc_id], env)
    eventually(lambda: replica.store.documents() == [], 3.0, CAUGHT_UP)
    assert _ask(replica) == []
    assert replica.store.keyword_search("Quetzalcoatlus", 3) == []


def test_a_workspace_deleted_by_one_replica_is_forgotten_by_another(
    chroma_url: str, embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    def replica(name: str) -> Workspaces:
        settings = Settings(
            persist_dir=tmp_path / name,
            chroma_url=chroma_url,
            collection=f"r{uuid.uuid4().hex[:12]}",
            sync_interval=0.2,
        )
        return Workspaces(open_runtime(settings, embedder=embedder))

    first, second = replica("first"), replica("second")
    name = f"w{uuid.uuid4().hex[:12]}"
    held = second.get(name)  # a session of the second replica is in the new workspace
    assert name in first.names()

    first.delete(None, name)
    # The list comes from the server; the held runtime finds out at its next check.
    assert name not in second.names()
    eventually(lambda: not held.store.exists(), 3.0, CAUGHT_UP)
    with pytest.raises(KeyError):
        second.get(name, create=False)
    # Writing through the runtime a session still holds fails with a message, not a crash.
    path = write(tmp_path / "in", "library.txt", LIBRARY)
    with pytest.raises(WorkspaceNotFoundError, match=f"workspace {name!r} was deleted"):
        ingest_paths([path], held.store, show_progress=False)

    # Adding a document creates it afresh, seen by both replicas.
    ingest_paths([path], second.get(name).store, show_progress=False)
    assert name in first.names()
    assert [d.file_name for d in first.get(name).store.documents()] == ["library.txt"]
