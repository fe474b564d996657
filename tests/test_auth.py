"""Optional sign-in: a user reaches only the workspaces granted, through the API and the UI."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from qa_bot.auth import UsersCallable, hash_password, load_users, verify_password
from qa_bot.config import Settings
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.runtime import Runtime, open_runtime
from qa_bot.server import build_app
from tests.conftest import SAMPLE_DOC
from tests.servers import serving_in_thread
from tests.test_store_contract import LIBRARY

QUESTION = [{"role": "user", "content": "Who issues the Quetzalcoatlus pass?"}]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("auth")
    users = {
        "alice": {"password": hash_password("alice-pw"), "workspaces": ["team-a"]},
        "bob": {"password": hash_password("bob-pw"), "workspaces": ["team-b"]},
        "carol": {"password": hash_password("carol-pw"), "workspaces": ["documents"]},
        "dave": {"password": hash_password("dave-pw"), "workspaces": []},
    }
    (root / "users.json").write_text(json.dumps({"users": users}))
    runtime: Runtime = open_runtime(
        Settings(persist_dir=root / "store", auth=str(root / "users.json")), embedder=embedder
    )
    with serving_in_thread(build_app(runtime)) as url:
        yield url


def _client(base_url: str, key: str, workspace: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{base_url}/v1",
        api_key=key,
        max_retries=0,
        default_headers={"X-Workspace": workspace},
    )


def test_passwords_are_hashed_and_checked() -> None:
    hashed = hash_password("s3cret")
    assert "s3cret" not in hashed and hashed.startswith("scrypt$")
    assert verify_password("s3cret", hashed) and not verify_password("other", hashed)
    assert not verify_password("s3cret", "plain-text")


def test_api_needs_credentials(base_url: str) -> None:
    assert httpx.get(f"{base_url}/v1/documents").status_code == 401
    with pytest.raises(openai.AuthenticationError):
        _client(base_url, "alice:wrong", "team-a").models.list()
    basic = httpx.get(f"{base_url}/v1/workspaces", auth=("alice", "alice-pw")).json()
    assert [w["id"] for w in basic["data"]] == []  # nothing in team-a yet


def test_user_b_cannot_reach_user_a_documents(base_url: str) -> None:
    alice = httpx.Client(base_url=f"{base_url}/v1", auth=("alice", "alice-pw"), timeout=60)
    files = [("files", ("library.txt", LIBRARY.encode(), "text/plain"))]
    uploaded = alice.post("/documents", files=files, headers={"X-Workspace": "team-a"}).json()
    doc_id = uploaded["data"][0]["document"]["id"]
    answer = _client(base_url, "alice:alice-pw", "team-a").chat.completions.create(
        model="qa-bot", messages=QUESTION
    )
    assert answer.model_extra["citations"][0]["document_id"] == doc_id
    # Alice is not granted the default workspace: naming none means her first granted one.
    assert [d["id"] for d in alice.get("/documents").json()["data"]] == [doc_id]

    bob = httpx.Client(base_url=f"{base_url}/v1", auth=("bob", "bob-pw"), timeout=60)
    as_bob = {"X-Workspace": "team-a"}
    assert bob.get("/documents", headers=as_bob).status_code == 403
    assert bob.delete(f"/documents/{doc_id}", headers=as_bob).status_code == 403
    assert bob.post("/documents", files=files, headers=as_bob).status_code == 403
    with pytest.raises(openai.PermissionDeniedError):
        _client(base_url, "bob:bob-pw", "team-a").chat.completions.create(
            model="qa-bot", messages=QUESTION
        )
    with pytest.raises(openai.PermissionDeniedError):
        _client(base_url, "bob:bob-pw", "team-b").chat.completions.create(
            model="qa-bot", messages=QUESTION, extra_body={"workspace": "team-a"}
        )
    assert "team-a" not in [w["id"] for w in bob.get("/workspaces").json()["data"]]
    # Bob's own (empty) workspace answers without anything of Alice's.
    bob.post(
        "/documents",
        files=[("files", ("x.txt", b"Bob's notes.", "text/plain"))],
        headers={"X-Workspace": "team-b"},
    )
    own = _client(base_url, "bob:bob-pw", "team-b").chat.completions.create(
        model="qa-bot", messages=QUESTION
    )
    assert all(c["document_id"] != doc_id for c in own.model_extra["citations"])


def test_ui_signs_in_users_granted_some_workspace(base_url: str) -> None:
    assert httpx.get(f"{base_url}/config").status_code == 401
    assert httpx.get(f"{base_url}/gradio_api/file={SAMPLE_DOC}").status_code in (401, 403)
    for name, password in (("carol", "wrong"), ("dave", "dave-pw")):  # dave is granted nothing
        refused = httpx.post(f"{base_url}/login", data={"username": name, "password": password})
        assert refused.status_code == 400, name
    # Bob is not granted the default workspace; he signs in all the same (and lands in team-b).
    for name in ("carol", "bob"):
        with httpx.Client(base_url=base_url) as browser:
            signed_in = browser.post("/login", data={"username": name, "password": f"{name}-pw"})
            assert signed_in.status_code == 200
            assert browser.get("/config").status_code == 200


def test_users_file_errors_say_what_to_do(tmp_path: Path) -> None:
    from qa_bot.errors import ConfigError

    (tmp_path / "users.json").write_text('{"users": {"x": {}}}')
    with pytest.raises(ConfigError, match="scrypt"):
        load_users(tmp_path / "users.json")
    shutil.copy(SAMPLE_DOC, tmp_path / "not-json.json")
    with pytest.raises(ConfigError, match="QA_BOT_AUTH"):
        load_users(tmp_path / "not-json.json")


def test_gradio_api_routes_need_sign_in(base_url: str) -> None:
    for path in ("/gradio_api/call/ask", "/gradio_api/queue/join", "/gradio_api/upload"):
        response = httpx.post(f"{base_url}{path}", json={"data": ["Who issues the pass?", []]})
        assert response.status_code in (401, 403), (path, response.status_code)


def test_cli_prints_a_hash() -> None:
    from typer.testing import CliRunner

    from qa_bot.cli import app

    result = CliRunner().invoke(app, ["hash-password"], input="pw-1\npw-1\n")
    assert result.exit_code == 0, result.output
    hashed = result.output.strip().splitlines()[-1]
    assert verify_password("pw-1", hashed) and "pw-1" not in hashed


def test_users_from_a_callable(caplog: pytest.LogCaptureFixture) -> None:
    users = load_users("tests.sign_in:check")
    assert isinstance(users, UsersCallable)
    erin = users.authenticate("erin", "erin-pw")
    assert erin is not None and erin.workspaces == ("team-b", "team-a")
    assert erin.may_use("team-a") and not erin.may_use("documents")
    assert users.signed_in("erin") == erin
    assert users.authenticate("erin", "alice-pw") is None
    assert users.authenticate("nobody", "nobody-pw") is None  # granted nothing: refused
    assert users.authenticate("sloppy", "x") is None  # a string is not a list of workspaces
    assert users.authenticate("broken", "x") is None  # a failing directory refuses, no crash
    assert "the directory server is down" in caplog.text
    assert users.signed_in("nobody") is None and users.signed_in("broken") is None
    assert users.user_from_header("Bearer erin:erin-pw") == erin


def test_a_bad_callable_spec_stops_the_server_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from qa_bot.cli import main
    from qa_bot.errors import ConfigError

    with pytest.raises(ConfigError, match="tests.sign_in has no function 'missing'"):
        load_users("tests.sign_in:missing")
    monkeypatch.setenv("QA_BOT_AUTH", "no_such_directory:check")
    monkeypatch.setenv("QA_BOT_PERSIST_DIR", str(tmp_path / "store"))
    monkeypatch.setattr(sys, "argv", ["qa-bot", "serve"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: QA_BOT_AUTH=no_such_directory:check: cannot import no_such_directory "
        "(ModuleNotFoundError: No module named 'no_such_directory'); is its folder on PYTHONPATH? "
        "expected package.module:function(username, password) -> workspace names"
    ]
    assert not (tmp_path / "store").exists()  # it stopped before opening the store
