"""The HTTP API: OpenAI-compatible chat completions with citations, and document management.

`POST /v1/chat/completions` takes the OpenAI request shape, so any OpenAI client can ask; the
answer's sources travel in the extra top-level field `citations` (see docs/team.md). Streaming
sends OpenAI `chat.completion.chunk` events; the last one carries the citations.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from langchain_core.runnables import Runnable
from pydantic import BaseModel, Field

from qa_bot.answers import Answer, Source
from qa_bot.auth import User, Users
from qa_bot.condense import Turn
from qa_bot.errors import (
    ConfigError,
    NotGrantedError,
    QaBotError,
    StoreBusyError,
    WorkspaceNotEmptyError,
)
from qa_bot.ingest import ingest_paths
from qa_bot.runtime import Runtime
from qa_bot.store import DocumentInfo
from qa_bot.uploads import safe_name, save_uploads
from qa_bot.workspaces import Workspaces

MODEL_ID = "qa-bot"
WORKSPACE_HEADER = "X-Workspace"
NO_DOCUMENTS = "No documents are indexed yet. Upload some with POST /v1/documents, then ask again."


class ContentPart(BaseModel):
    type: str
    text: str | None = None


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The fields of OpenAI's request we use; the rest (temperature, …) are accepted, ignored."""

    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    # qa_bot's own: which workspace to ask (or the X-Workspace header); default: the server's.
    workspace: str | None = None


def citation_dict(source: Source) -> dict[str, Any]:
    """One cited chunk, as documented in docs/team.md."""
    return {
        "number": source.number,
        "document_id": source.chunk_id.split("-", 1)[0],
        "file_name": source.file_name,
        "title": source.title,
        "page": source.page,
        "last_page": source.last_page,
        "start": source.start,
        "end": source.end,
        "chunk_id": source.chunk_id,
        "text": source.text,
        "supporting_sentence": source.supporting_sentence,
        "score": source.score,
    }


def answer_extras(answer: Answer) -> dict[str, Any]:
    """The fields added to OpenAI's response object."""
    return {
        "citations": [citation_dict(source) for source in answer.citations],
        "qa_bot": {
            "standalone_query": answer.standalone_query,
            "confidence": answer.confidence,
            "abstained": answer.abstained,
            "notice": answer.notice,
            "unsupported": list(answer.unsupported),
        },
    }


def document_dict(info: DocumentInfo) -> dict[str, Any]:
    return {
        "id": info.doc_id,
        "object": "document",
        "file_name": info.file_name,
        "title": info.title,
        "chunks": info.chunks,
        "content_hash": info.content_hash,
        "ingested_at": info.ingested_at,
    }


def conversation(messages: list[Message]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant pairs are the history."""
    question_index = max(
        (i for i, message in enumerate(messages) if message.role == "user"), default=None
    )
    if question_index is None or not messages[question_index].text.strip():
        raise HTTPException(400, "messages must contain a non-empty user message")
    history: list[Turn] = []
    pending: str | None = None
    for message in messages[:question_index]:
        if message.role == "user":
            pending = message.text
        elif message.role == "assistant" and pending is not None:
            history.append(Turn(pending, pending, message.text))
            pending = None
    return messages[question_index].text.strip(), history


def build_api(workspaces: Workspaces, users: Users | None = None) -> APIRouter:
    """The /v1 routes; with `users`, every request must authenticate (see qa_bot.auth)."""
    router = APIRouter(prefix="/v1")

    def user_of(request: Request) -> User | None:
        if users is None:
            return None
        user = users.user_from_header(request.headers.get("authorization"))
        if user is None:
            raise HTTPException(
                401,
                "sign in: send `Authorization: Bearer <user>:<password>` "
                "(the api_key of an OpenAI client) or HTTP Basic credentials",
                headers={"WWW-Authenticate": 'Basic realm="qa_bot"'},
            )
        return user

    def workspace(request: Request, name: str | None = None, create: bool = False) -> Runtime:
        """The workspace named by the body, the X-Workspace header or ?workspace=, else the
        user's default. Only an upload creates a workspace; elsewhere an unknown one is a 404."""
        user = user_of(request)
        name = (
            name or request.headers.get(WORKSPACE_HEADER) or request.query_params.get("workspace")
        )
        try:
            return workspaces.open_for(user, name, create=create)
        except NotGrantedError as exc:
            raise HTTPException(403, str(exc)) from exc
        except ConfigError as exc:
            raise HTTPException(400, str(exc)) from exc
        except KeyError as exc:
            raise HTTPException(
                404, f"no workspace {exc.args[0]!r}; upload a document to create it"
            ) from exc

    def chains_of(runtime: Runtime) -> dict[str, Runnable[dict, Answer]]:
        # "qa-bot" answers with the configured backend; each backend is also a model of its own.
        return {MODEL_ID: runtime.chain, **runtime.chains}

    @router.get("/workspaces")
    def list_workspaces(http: Request) -> dict[str, Any]:
        user = user_of(http)
        names = [n for n in workspaces.names() if user is None or user.may_use(n)]
        return {"object": "list", "data": [{"id": n, "object": "workspace"} for n in names]}

    @router.delete("/workspaces/{name}")
    def delete_workspace(name: str, http: Request) -> JSONResponse:
        """Delete an empty workspace; one holding documents is refused, so nothing is lost."""
        try:
            workspaces.delete(user_of(http), name)
        except NotGrantedError as exc:
            return _error(403, str(exc))
        except KeyError:
            return _error(404, f"no workspace {name!r}; GET /v1/workspaces lists them")
        except WorkspaceNotEmptyError as exc:
            return _error(409, str(exc), "workspace_not_empty")
        except StoreBusyError as exc:
            return _error(409, str(exc), "store_busy")
        except ConfigError as exc:  # the default workspace, or not a workspace name
            return _error(400, str(exc))
        return JSONResponse({"id": name, "object": "workspace", "deleted": True})

    @router.get("/models")
    def list_models(http: Request) -> dict[str, Any]:
        chains = chains_of(workspace(http))
        models = [
            {"id": name, "object": "model", "created": 0, "owned_by": "qa_bot"} for name in chains
        ]
        return {"object": "list", "data": models}

    @router.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest, http: Request) -> JSONResponse | StreamingResponse:
        runtime = workspace(http, request.workspace)
        chains = chains_of(runtime)
        chain = chains.get(request.model)
        if chain is None:
            known = ", ".join(chains)
            return _error(
                404, f"unknown model {request.model!r}; use one of: {known}", "model_not_found"
            )
        question, history = conversation(request.messages)
        inputs = {"question": question, "history": history}
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not runtime.store.documents():
            answer: Answer | None = Answer(question, question, NO_DOCUMENTS, abstained=True)
        else:
            answer = None
        if request.stream:
            events = _stream(chain, inputs, answer, completion_id, created, request.model)
            return StreamingResponse(events, media_type="text/event-stream")
        try:
            answer = answer or chain.invoke(inputs)
        except QaBotError as exc:
            return _error(502, str(exc), "answering_error")
        body = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **answer_extras(answer),
        }
        return JSONResponse(body)

    @router.get("/documents")
    def list_documents(http: Request) -> dict[str, Any]:
        runtime = workspace(http)
        return {"object": "list", "data": [document_dict(i) for i in runtime.store.documents()]}

    @router.post("/documents")
    def upload_documents(http: Request, files: list[UploadFile] = File(...)) -> JSONResponse:  # noqa: B008
        runtime = workspace(http, create=True)
        with tempfile.TemporaryDirectory(prefix="qa-bot-upload-") as folder:
            limit = int(runtime.settings.max_upload_mb * 1024 * 1024)
            temps = [_spool(upload, Path(folder), i, limit) for i, upload in enumerate(files)]
            uploads = save_uploads([str(t) for t in temps], runtime.settings)
        results: list[dict[str, Any]] = [
            {"status": "skipped", "message": reason} for reason in uploads.refused
        ]
        if uploads.saved:
            try:
                report = ingest_paths(uploads.saved, runtime.store, show_progress=False)
            except StoreBusyError as exc:
                return _error(409, str(exc), "store_busy")
            for outcome in report.outcomes:
                info = runtime.store.find(outcome.path)
                result = {"status": outcome.status, "message": outcome.line()}
                if info is not None and outcome.status not in ("failed", "skipped"):
                    result["document"] = document_dict(info)
                results.append(result)
        ok = any("document" in result for result in results)
        return JSONResponse({"object": "list", "data": results}, status_code=200 if ok else 422)

    @router.delete("/documents/{doc_id}")
    def delete_document(doc_id: str, http: Request) -> JSONResponse:
        runtime = workspace(http)
        info = runtime.store.find(doc_id)
        if info is None or info.doc_id != doc_id:
            return _error(404, f"no document with id {doc_id!r}; GET /v1/documents lists them")
        try:
            runtime.store.remove(doc_id)
        except StoreBusyError as exc:
            return _error(409, str(exc), "store_busy")
        return JSONResponse({"id": doc_id, "object": "document", "deleted": True})

    return router


def install_error_handlers(app: FastAPI) -> None:
    """Errors of the API's own routes in OpenAI's shape, so clients raise their usual exceptions
    with our message (the mounted Gradio app keeps its own handlers)."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        response = _error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _error(400, f"invalid request: {where}: {first.get('msg', exc)}")


def _stream(
    chain: Runnable[dict, Answer],
    inputs: dict[str, Any],
    ready: Answer | None,
    completion_id: str,
    created: int,
    model: str,
) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; the final chunk carries the citations."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent = ""
    answer = ready
    try:
        snapshots = [ready] if ready else chain.stream(inputs)
        for answer in snapshots:
            if answer.text.startswith(sent) and len(answer.text) > len(sent):
                yield chunk({"content": answer.text[len(sent) :]})
                sent = answer.text
    except QaBotError as exc:
        error = {"message": str(exc), "type": "answering_error", "code": None}
        yield f"data: {json.dumps({'error': error})}\n\n"
        return
    assert answer is not None
    if answer.text != sent:
        # A final text that rewrote the streamed one (e.g. a flagged sentence): send what was left;
        # clients that need the exact final text use the non-streaming call.
        yield chunk({"content": answer.text[len(sent) :] if answer.text.startswith(sent) else ""})
    yield chunk({}, "stop", **answer_extras(answer))
    yield "data: [DONE]\n\n"


def _spool(upload: UploadFile, folder: Path, index: int, limit: int) -> Path:
    """Write an upload to its own temp subfolder; past `limit` bytes it is cut short (and then
    refused by save_uploads as too large), so an endless upload cannot fill the disk."""
    target_dir = folder / str(index)
    target_dir.mkdir()
    target = target_dir / safe_name(upload.filename or "upload")
    written = 0
    with target.open("wb") as out:
        while written <= limit and (block := upload.file.read(1 << 20)):
            out.write(block)
            written += len(block)
    return target


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    """OpenAI's error shape, so clients raise their usual exceptions."""
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": None}}, status_code=status
    )
