"""One web server for a team: the HTTP API under /v1 and the Gradio UI at /, on FastAPI."""

from __future__ import annotations

import logging

import gradio as gr
import uvicorn
from fastapi import FastAPI

from qa_bot.api import build_api, install_error_handlers
from qa_bot.auth import Users, load_users
from qa_bot.runtime import Runtime
from qa_bot.ui import CSS, JS, build_ui, configure_queue, max_file_size
from qa_bot.workspaces import Workspaces

log = logging.getLogger(__name__)


def build_app(runtime: Runtime, users: Users | None = None) -> FastAPI:
    """The API routes first, then the UI mounted at / with the UI's queue, CSS, JS and upload limit.

    With QA_BOT_AUTH set (or `users` given), the API wants credentials on every request and the
    UI a sign-in; each user reaches only the workspaces granted, and anyone granted at least one
    may sign in to the UI, which opens on their default workspace.
    """
    settings = runtime.settings
    if users is None and settings.auth:
        users = load_users(settings.auth)
    workspaces = Workspaces(runtime)
    app = FastAPI(title="qa_bot", docs_url="/v1/docs", openapi_url="/v1/openapi.json")
    app.include_router(build_api(workspaces, users))
    install_error_handlers(app)
    demo = configure_queue(build_ui(runtime, workspaces, users), settings)

    def ui_sign_in(name: str, password: str) -> bool:
        assert users is not None
        return users.authenticate(name, password) is not None

    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        css=CSS,
        js=JS,
        max_file_size=max_file_size(settings),
        show_error=False,
        auth=ui_sign_in if users else None,
    )


def serve(runtime: Runtime, users: Users | None = None) -> None:
    """Serve the combined app until interrupted."""
    app = build_app(runtime, users)
    uvicorn.run(
        app,
        host=runtime.settings.host,
        port=runtime.settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
