"""One web server for a team: the HTTP API under /v1 and the Gradio UI at /, on FastAPI."""

from __future__ import annotations

import logging

import gradio as gr
import uvicorn
from fastapi import FastAPI

from qa_bot.api import build_api, install_error_handlers
from qa_bot.runtime import Runtime
from qa_bot.ui import CSS, JS, build_ui, configure_queue, max_file_size
from qa_bot.workspaces import Workspaces

log = logging.getLogger(__name__)


def build_app(runtime: Runtime) -> FastAPI:
    """The API routes first, then the UI mounted at / with the settings ui.launch() uses."""
    app = FastAPI(title="qa_bot", docs_url="/v1/docs", openapi_url="/v1/openapi.json")
    app.include_router(build_api(Workspaces(runtime)))
    install_error_handlers(app)
    demo = configure_queue(build_ui(runtime), runtime.settings)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=runtime.settings.host,
        server_port=runtime.settings.port,
        css=CSS,
        js=JS,
        max_file_size=max_file_size(runtime.settings),
        show_error=False,
    )


def serve(runtime: Runtime) -> None:
    """Serve the combined app until interrupted."""
    app = build_app(runtime)
    uvicorn.run(
        app,
        host=runtime.settings.host,
        port=runtime.settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
