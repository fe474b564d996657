"""Sign-in in the browser UI with users from a callable (tests.sign_in:check): every Gradio event
and file route checks the workspace against the signed-in user's grants, whatever the client sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from qa_bot.embeddings import SentenceEmbedder
from qa_bot.runtime import Runtime
from qa_bot.server import build_app
from tests.conftest import open_sample_runtime
from tests.servers import serving_in_thread
from tests.test_store_contract import LIBRARY

QUESTION = "Who issues the Quetzalcoatlus pass?"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Runtime:
    # The default workspace ("documents") holds the sample; nobody below is granted it.
    return open_sample_runtime(
        tmp_path_factory.mktemp("ui-auth"), embedder, auth="tests.sign_in:check"
    )


@pytest.fixture(scope="module")
def url(runtime: Runtime) -> Iterator[str]:
    with serving_in_thread(build_app(runtime)) as base:
        yield base


@pytest.fixture(scope="module")
def bobs_upload(url: str, runtime: Runtime) -> dict:
    """Bob uploads library.txt into team-b the way the page does: Gradio's upload route, then
    the upload event. Returns the paths and document id a thief would want."""
    with httpx.Client(base_url=url, timeout=120) as bob:
        assert bob.post("/login", data={"username": "bob", "password": "bob-pw"}).is_success
        sent = bob.post(
            "/gradio_api/upload", files={"files": ("library.txt", LIBRARY.encode(), "text/plain")}
        )
        [cached] = sent.json()
        file = {"path": cached, "orig_name": "library.txt", "meta": {"_type": "gradio.FileData"}}
        status, _, removable = _call(bob, "upload", [[file], "team-b"])
    assert "library.txt: added" in status
    [(_, doc_id)] = removable["choices"]
    stored = runtime.settings.persist_dir / "uploads" / "team-b" / "library.txt"
    assert stored.is_file()
    return {"cached": cached, "stored": stored, "doc_id": doc_id}


def _call(session: httpx.Client, api_name: str, data: list) -> list:
    """Gradio's HTTP API, as curl would use it: POST the call, read its result stream."""
    event = session.post(f"/gradio_api/call/{api_name}", json={"data": data}).json()["event_id"]
    stream = session.get(f"/gradio_api/call/{api_name}/{event}").text
    kind, payload = stream.strip().split("\n")[-2:]
    assert kind == "event: complete", stream
    return json.loads(payload.removeprefix("data: "))


def test_callable_users_sign_in_to_the_ui_and_the_api(url: str) -> None:
    for name, password in (("alice", "bob-pw"), ("nobody", "nobody-pw"), ("broken", "x")):
        refused = httpx.post(f"{url}/login", data={"username": name, "password": password})
        assert refused.status_code == 400, name
    listed = httpx.get(f"{url}/v1/workspaces", auth=("erin", "erin-pw"))
    assert listed.status_code == 200
    assert httpx.get(f"{url}/v1/workspaces", auth=("erin", "alice-pw")).status_code == 401
    # Alice is not granted the default workspace: the UI serves her first granted one instead.
    alice = Client(url, auth=("alice", "alice-pw"), verbose=False)
    with pytest.raises(AppError, match="not granted workspace 'documents'"):
        alice.predict("Who co-chaired the dialogue?", [], "documents", api_name="/ask")
    assert "No documents" in alice.predict("Who co-chaired?", [], api_name="/ask")["error"]


def test_users_reach_only_granted_workspaces_in_the_ui(
    url: str, bobs_upload: dict, tmp_path: Path
) -> None:
    bob = Client(url, auth=("bob", "bob-pw"), verbose=False)
    answer = bob.predict(QUESTION, [], api_name="/ask")  # team-b: bob's only workspace
    assert answer["citations"][0]["file_name"] == "library.txt"

    alice = Client(url, auth=("alice", "alice-pw"), verbose=False)
    notes = tmp_path / "notes.txt"
    notes.write_text("Alice keeps her own notes about the harbour ferry timetable.", "utf-8")
    refused = "user 'alice' is not granted workspace 'team-b'"
    with pytest.raises(AppError, match=refused):
        alice.predict(QUESTION, [], "team-b", api_name="/ask")
    with pytest.raises(AppError, match=refused):
        alice.predict(bobs_upload["doc_id"], "team-b", api_name="/remove")
    with pytest.raises(AppError, match=refused):
        alice.predict([handle_file(str(notes))], "team-b", api_name="/upload")
    # Choosing team-b in the page's selector is refused too; her list holds only team-a.
    choice, status, *_ = alice.predict("team-b", api_name="/workspace")
    assert choice["value"] == "team-a" and [v for _, v in choice["choices"]] == ["team-a"]
    assert refused in status.replace("\\", "")
    # Her own workspace works, and holds nothing of bob's.
    status, documents, _ = alice.predict([handle_file(str(notes))], api_name="/upload")
    assert "notes.txt: added" in status
    assert [row[0] for row in documents["data"]] == ["notes.txt"]
    own = alice.predict(QUESTION, [], api_name="/ask")
    assert "library.txt" not in {c["file_name"] for c in own["citations"]}

    # Team-b is untouched: one document, bob's.
    listed = httpx.get(
        f"{url}/v1/documents", auth=("bob", "bob-pw"), headers={"X-Workspace": "team-b"}
    ).json()["data"]
    assert [d["id"] for d in listed] == [bobs_upload["doc_id"]]


def test_files_of_a_workspace_are_not_served_by_gradio(url: str, bobs_upload: dict) -> None:
    # Gradio's copy of the upload is gone once it is stored; the stored file is outside what
    # Gradio serves. Nobody gets either through the file route, signed in or not.
    assert not Path(bobs_upload["cached"]).exists()
    with httpx.Client(base_url=url) as alice:
        alice.post("/login", data={"username": "alice", "password": "alice-pw"})
        for path in (bobs_upload["cached"], bobs_upload["stored"]):
            for route in (f"/gradio_api/file={path}", f"/gradio_api/file/{path}"):
                assert alice.get(route).status_code in (403, 404), route
                assert httpx.get(f"{url}{route}").status_code in (401, 403, 404), route
