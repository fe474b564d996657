"""Two `qa-bot serve` processes on one Chroma server: upload through one, ask through the other."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
import openai
import pytest

from tests.servers import VENV_BIN, eventually, free_port, qa_bot_env, running
from tests.test_store_contract import LIBRARY

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Who issues the Quetzalcoatlus pass?"}]
CAUGHT_UP = "the other replica did not catch up in time"


def _cited_files(client: openai.OpenAI) -> list[str]:
    completion = client.chat.completions.create(model="qa-bot", messages=QUESTION)
    return [c["file_name"] for c in completion.model_extra["citations"]]


def test_two_replicas_share_one_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    collection = f"team{uuid.uuid4().hex[:8]}"
    urls = []
    with ExitStack() as stack:
        for name in ("a", "b"):
            port = free_port()
            env = qa_bot_env(
                chroma_url=chroma_url,
                collection=collection,
                persist_dir=tmp_path / name,
                documents_dir=tmp_path / "none",
                port=port,
                sync_interval=1,
            )
            url = f"http://127.0.0.1:{port}"
            args = [str(VENV_BIN / "qa-bot"), "serve", "--no-ingest-if-empty"]
            stack.enter_context(running(args, f"{url}/v1/models", tmp_path / f"{name}.log", env))
            urls.append(url)
        writer = httpx.Client(base_url=f"{urls[0]}/v1", timeout=60)
        reader = openai.OpenAI(base_url=f"{urls[1]}/v1", api_key="unused", max_retries=0)

        files = [("files", ("library.txt", LIBRARY.encode(), "text/plain"))]
        uploaded = writer.post("/documents", files=files).json()["data"][0]
        assert uploaded["status"] == "added"
        doc_id = uploaded["document"]["id"]

        eventually(lambda: _cited_files(reader) == ["library.txt"], 5, CAUGHT_UP)
        listed = httpx.get(f"{urls[1]}/v1/documents", timeout=30).json()["data"]
        assert [d["id"] for d in listed] == [doc_id]

        assert writer.delete(f"/documents/{doc_id}").json()["deleted"] is True
        # Answers drop it at once (its chunks are gone); the listing follows within the interval.
        assert _cited_files(reader) == []
        eventually(lambda: httpx.get(f"{urls[1]}/v1/documents").json()["data"] == [], 5, CAUGHT_UP)
