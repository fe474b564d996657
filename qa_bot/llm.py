"""The chat-model backends: a config string, a small factory, provider packages imported lazily.

`QA_BOT_LLM=openai` talks to any OpenAI-compatible endpoint (vLLM, llama.cpp's server, LM Studio,
a hosted API); `QA_BOT_LLM=ollama` to an Ollama server. The API key is read when the model is
built, from QA_BOT_LLM_API_KEY or else OPENAI_API_KEY, and never logged or shown.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from qa_bot.config import Settings
from qa_bot.errors import ConfigError, MissingDependencyError

GENERATIVE_BACKENDS = ("openai", "ollama")
OLLAMA_DEFAULT_URL = "http://localhost:11434"
# Local OpenAI-compatible servers accept any key; the client library insists on one.
_NO_KEY = "not-needed"
_PACKAGES = {"openai": "langchain-openai", "ollama": "langchain-ollama"}


def check_llm_settings(settings: Settings) -> None:
    """Fail at start-up, in one line, on a generative backend that cannot work."""
    if settings.llm not in GENERATIVE_BACKENDS:
        return
    if not settings.llm_model:
        example = "llama3.2" if settings.llm == "ollama" else "gpt-4o-mini"
        raise ConfigError(
            f"QA_BOT_LLM={settings.llm} needs a model name: set QA_BOT_LLM_MODEL (e.g. {example})"
        )
    if settings.llm == "openai" and not settings.llm_base_url:
        raise ConfigError(
            "QA_BOT_LLM=openai needs the server's URL: set QA_BOT_LLM_BASE_URL "
            "(e.g. http://localhost:8000/v1, or https://api.openai.com/v1)"
        )
    url = settings.llm_base_url or OLLAMA_DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"QA_BOT_LLM_BASE_URL must be an http(s) URL such as http://localhost:11434, "
            f"not {redact_url(url)!r}"
        )


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The configured chat model; building it makes no network call."""
    check_llm_settings(settings)
    if settings.llm == "openai":
        chat_openai = _import("openai", "langchain_openai", "ChatOpenAI")
        return chat_openai(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=_api_key(settings),
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,  # the answerer falls back at once; retries would multiply the wait
        )
    if settings.llm == "ollama":
        chat_ollama = _import("ollama", "langchain_ollama", "ChatOllama")
        return chat_ollama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or OLLAMA_DEFAULT_URL,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    raise ConfigError(f"QA_BOT_LLM={settings.llm} is not a chat-model backend")


def describe_backend(settings: Settings) -> str:
    """A label for the UI and logs: backend, model and server, never the key."""
    if settings.llm not in GENERATIVE_BACKENDS:
        return "extractive"
    url = redact_url(settings.llm_base_url or OLLAMA_DEFAULT_URL)
    return f"{settings.llm}: {settings.llm_model} at {url}"


def redact_url(url: str) -> str:
    """The URL without any user:password part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _api_key(settings: Settings) -> str:
    if settings.llm_api_key is not None:
        return settings.llm_api_key.get_secret_value()
    return os.environ.get("OPENAI_API_KEY") or _NO_KEY


def _import(backend: str, module: str, name: str) -> type[BaseChatModel]:
    try:
        imported = __import__(module, fromlist=[name])
    except ImportError as exc:
        package = _PACKAGES[backend]
        raise MissingDependencyError(
            f"QA_BOT_LLM={backend} needs the {package} package: pip install {package}"
        ) from exc
    return getattr(imported, name)


class NoReplyError(TimeoutError):
    """The chat model sent nothing for longer than the configured timeout."""


class ChatBackend:
    """A chat model as the answerer and condenser use it: text streamed under a deadline.

    The provider clients get the timeout too, but a deadline of our own between pieces means a
    server that accepts the connection and then stalls can never hang a chat. After a timeout the
    backend is skipped for `cooldown` seconds, so one turn does not wait twice (condense, answer).
    """

    def __init__(
        self, model: BaseChatModel, timeout: float, label: str = "", cooldown: float = 30.0
    ) -> None:
        self.model = model
        self.timeout = timeout
        self.label = label or type(model).__name__
        self.cooldown = cooldown
        self._timed_out_at: float | None = None

    def stream(self, messages: Any, config: RunnableConfig | None = None) -> Iterator[str]:
        if self._timed_out_at is not None:
            if time.monotonic() - self._timed_out_at < self.cooldown:
                raise NoReplyError(f"no reply within {self.timeout:g} s a moment ago")
            self._timed_out_at = None
        try:
            yield from _stream_with_deadline(self.model, messages, config, self.timeout)
        except NoReplyError:
            self._timed_out_at = time.monotonic()
            raise


def _stream_with_deadline(
    model: BaseChatModel, messages: Any, config: RunnableConfig | None, timeout: float
) -> Iterator[str]:
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in model.stream(messages, config):
                if stop.is_set():
                    return
                pieces.put(("piece", chunk))
            pieces.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which decides
            pieces.put(("error", exc))

    context = contextvars.copy_context()  # keeps callbacks and tracing of the calling run
    threading.Thread(target=context.run, args=(produce,), daemon=True, name="chat-model").start()
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=timeout)
            except queue.Empty:
                raise NoReplyError(f"no reply within {timeout:g} s") from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield _text(value)
    finally:
        stop.set()  # a stalled producer thread ends with its next piece or its client timeout


def _text(chunk: Any) -> str:
    if isinstance(chunk, BaseMessage):
        return chunk.text
    return chunk if isinstance(chunk, str) else ""
