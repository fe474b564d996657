"""The HTTP API through the official openai client (and httpx for documents), on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from qa_bot.embeddings import SentenceEmbedder
from qa_bot.runtime import Runtime
from qa_bot.server import build_app
from tests.conftest import open_sample_runtime
from tests.servers import serving_in_thread
from tests.test_store_contract import LIBRARY

QUESTION = "What did the two countries say about the Khunjerab Pass?"


@pytest.fixture(scope="module")
def api_runtime(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Runtime:
    return open_sample_runtime(tmp_path_factory.mktemp("api"), embedder)


@pytest.fixture(scope="module")
def base_url(api_runtime: Runtime) -> Iterator[str]:
    with serving_in_thread(build_app(api_runtime)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0)


def test_completion_carries_citations(client: openai.OpenAI, api_runtime: Runtime) -> None:
    completion = client.chat.completions.create(
        model="qa-bot", messages=[{"role": "user", "content": QUESTION}]
    )
    text = completion.choices[0].message.content
    assert "year-round opening of the Khunjerab Pass" in text
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["number"] == 1 and "[1]" in text
    first = citations[0]
    assert set(first) >= {"file_name", "page", "start", "end", "text", "score", "chunk_id"}
    document = (api_runtime.settings.documents_dir / first["file_name"]).read_text("utf-8")
    assert document[first["start"] : first["end"]] == first["text"]
    assert first["supporting_sentence"] in first["text"]
    assert first["document_id"] == api_runtime.store.documents()[0].doc_id
    assert completion.model_extra["qa_bot"]["abstained"] is False


def test_streaming_matches_the_plain_answer(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="qa-bot", messages=messages)
    chunks = list(client.chat.completions.create(model="qa-bot", messages=messages, stream=True))
    assert len(chunks) > 3
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == plain.model_extra["citations"]


def test_follow_up_uses_earlier_messages(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(
        model="qa-bot", messages=[{"role": "user", "content": "Who co-chaired the dialogue?"}]
    )
    follow_up = client.chat.completions.create(
        model="qa-bot",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Who co-chaired the dialogue?"},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "Where will the next round be held?"},
        ],
    )
    assert "Islamabad" in follow_up.choices[0].message.content
    assert "dialogue" in follow_up.model_extra["qa_bot"]["standalone_query"].lower()


def test_bad_request_is_an_openai_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="qa-bot", messages=[{"role": "system", "content": "no question"}]
        )


def test_upload_list_ask_delete(client: openai.OpenAI, base_url: str, tmp_path: Path) -> None:
    api = httpx.Client(base_url=f"{base_url}/v1", timeout=60)
    response = api.post(
        "/documents",
        files=[
            ("files", ("library.txt", LIBRARY.encode(), "text/plain")),
            ("files", ("../../evil.exe", b"MZ", "application/octet-stream")),
        ],
    )
    assert response.status_code == 200, response.text
    results = response.json()["data"]
    added = [r for r in results if r["status"] == "added"]
    assert len(added) == 1 and added[0]["document"]["file_name"] == "library.txt"
    assert any(r["status"] == "skipped" and "evil.exe" in r["message"] for r in results)
    doc_id = added[0]["document"]["id"]
    listed = {d["id"]: d for d in api.get("/documents").json()["data"]}
    assert listed[doc_id]["chunks"] >= 1 and len(listed) == 2

    question = [{"role": "user", "content": "Who issues the Quetzalcoatlus pass?"}]
    answer = client.chat.completions.create(model="qa-bot", messages=question)
    assert answer.model_extra["citations"][0]["document_id"] == doc_id

    assert api.delete(f"/documents/{doc_id}").json() == {
        "id": doc_id,
        "object": "document",
        "deleted": True,
    }
    assert api.delete(f"/documents/{doc_id}").status_code == 404
    assert doc_id not in {d["id"] for d in api.get("/documents").json()["data"]}
    answer = client.chat.completions.create(model="qa-bot", messages=question)
    assert all(c["document_id"] != doc_id for c in answer.model_extra["citations"])


def test_ui_is_served_beside_the_api(base_url: str) -> None:
    page = httpx.get(f"{base_url}/", timeout=30)
    assert page.status_code == 200 and "<html" in page.text
    config = httpx.get(f"{base_url}/config", timeout=30).json()
    assert config["title"] == "qa_bot"
    assert ".qa-source" in config["css"] and "qa-src-" in config["js"]
    assert config["max_file_size"] == 50 * 1024 * 1024
    models = openai.OpenAI(base_url=f"{base_url}/v1", api_key="x").models.list()
    assert [m.id for m in models.data] == ["qa-bot", "extractive"]


def test_unknown_model_is_a_not_found_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="extractive"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_gradio_api_still_answers_when_mounted(base_url: str) -> None:
    from gradio_client import Client

    result = Client(base_url, verbose=False).predict(QUESTION, [], api_name="/ask")
    assert "Khunjerab" in result["text"] and result["citations"]


def test_workspaces_keep_documents_apart(
    client: openai.OpenAI, base_url: str, api_runtime: Runtime
) -> None:
    api = httpx.Client(base_url=f"{base_url}/v1", timeout=60)
    files = [("files", ("library.txt", LIBRARY.encode(), "text/plain"))]
    uploaded = api.post("/documents", files=files, headers={"X-Workspace": "team-b"}).json()
    doc_id = uploaded["data"][0]["document"]["id"]
    assert (api_runtime.settings.persist_dir / "uploads" / "team-b" / "library.txt").exists()

    default_ids = {d["id"] for d in api.get("/documents").json()["data"]}
    team_ids = {d["id"] for d in api.get("/documents?workspace=team-b").json()["data"]}
    assert team_ids == {doc_id} and doc_id not in default_ids
    workspaces = [w["id"] for w in api.get("/workspaces").json()["data"]]
    assert workspaces[0] == "documents" and "team-b" in workspaces

    question = [{"role": "user", "content": "Who issues the Quetzalcoatlus pass?"}]
    default = client.chat.completions.create(model="qa-bot", messages=question)
    assert all(c["document_id"] != doc_id for c in default.model_extra["citations"])
    by_header = client.chat.completions.create(
        model="qa-bot", messages=question, extra_headers={"X-Workspace": "team-b"}
    )
    by_body = client.chat.completions.create(
        model="qa-bot", messages=question, extra_body={"workspace": "team-b"}
    )
    for completion in (by_header, by_body):
        assert completion.model_extra["citations"][0]["document_id"] == doc_id

    assert api.delete(f"/documents/{doc_id}").status_code == 404  # not in the default workspace
    assert api.delete(f"/documents/{doc_id}", headers={"X-Workspace": "team-b"}).status_code == 200
    assert api.get("/documents?workspace=no-such-team").status_code == 404
    with pytest.raises(openai.NotFoundError, match="upload a document"):
        client.chat.completions.create(
            model="qa-bot", messages=question, extra_headers={"X-Workspace": "no-such-team"}
        )
    assert "no-such-team" not in [w["id"] for w in api.get("/workspaces").json()["data"]]
    with pytest.raises(openai.BadRequestError, match="workspace"):
        client.chat.completions.create(
            model="qa-bot", messages=question, extra_body={"workspace": "a/b"}
        )


def test_only_an_empty_workspace_is_deleted(base_url: str, api_runtime: Runtime) -> None:
    api = httpx.Client(base_url=f"{base_url}/v1", timeout=60)
    team = {"X-Workspace": "team-gone"}
    files = [("files", ("library.txt", LIBRARY.encode(), "text/plain"))]
    doc_id = api.post("/documents", files=files, headers=team).json()["data"][0]["document"]["id"]

    refused = api.delete("/workspaces/team-gone")
    assert refused.status_code == 409, refused.text
    assert "holds 1 document: remove them first" in refused.json()["error"]["message"]
    assert [d["id"] for d in api.get("/documents", headers=team).json()["data"]] == [doc_id]
    default = api.delete("/workspaces/documents")
    assert default.status_code == 400 and "default workspace" in default.json()["error"]["message"]
    assert api.get("/documents").json()["data"], "the default workspace keeps its documents"

    assert api.delete(f"/documents/{doc_id}", headers=team).status_code == 200
    deleted = api.delete("/workspaces/team-gone")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert "team-gone" not in [w["id"] for w in api.get("/workspaces").json()["data"]]
    assert not (api_runtime.settings.persist_dir / "uploads" / "team-gone").exists()
    assert api.delete("/workspaces/team-gone").status_code == 404
    # The name is free again: an upload creates it afresh, empty of what went before.
    again = api.post("/documents", files=files, headers=team).json()["data"][0]["document"]
    assert [d["id"] for d in api.get("/documents", headers=team).json()["data"]] == [again["id"]]
