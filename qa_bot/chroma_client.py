"""Which Chroma to talk to: the embedded store in persist_dir, or a Chroma server by URL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from qa_bot.config import Settings
from qa_bot.errors import ConfigError


def open_chroma_client(settings: Settings) -> ClientAPI:
    """chromadb.HttpClient when settings.chroma_url is set, else a PersistentClient; no telemetry.

    Raises ConfigError for a malformed URL; connection failures surface as Chroma's own errors
    (ValueError or ChromaError), which the store turns into a StoreError.
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        persist = Path(settings.persist_dir)
        persist.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(persist), settings=chroma_settings)
    host, port, ssl = parse_chroma_url(settings.chroma_url)
    return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """http(s)://host[:port] -> (host, port, ssl); the port defaults to Chroma's 8000."""
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path.strip("/")
        or parts.query
    ):
        raise ConfigError(
            f"QA_BOT_CHROMA_URL must look like http://host:8000, not {url!r} "
            "(start a server with `chroma run --path <folder> --port 8000`)"
        )
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else 8000)
    except ValueError as exc:
        raise ConfigError(f"QA_BOT_CHROMA_URL has an invalid port: {url!r}") from exc
    return parts.hostname, port, ssl


def cache_slug(settings: Settings) -> str:
    """A folder name for local caches (the keyword index) of the store settings point at."""
    if not settings.chroma_url:
        return ""
    host, port, _ = parse_chroma_url(settings.chroma_url)
    return re.sub(r"[^\w.-]", "_", f"{host}_{port}")
