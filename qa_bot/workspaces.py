"""Workspaces: separate document sets, one Chroma collection (plus registry and keyword index) each.

A workspace is a collection name. The runtime a process starts with serves the default workspace
(settings.collection); others are opened on first use and share its embedding model.
"""

from __future__ import annotations

import threading

from qa_bot.chroma_client import open_chroma_client
from qa_bot.errors import ConfigError
from qa_bot.runtime import Runtime, open_runtime

REGISTRY_SUFFIX = "-docs"  # the store's registry collection beside each chunk collection


class Workspaces:
    """Runtimes by workspace name, opened lazily and kept for the life of the process."""

    def __init__(self, default: Runtime) -> None:
        self.default_name = default.settings.collection
        self._runtimes = {self.default_name: default}
        self._lock = threading.Lock()

    def get(self, name: str | None, *, create: bool = True) -> Runtime:
        """The runtime of `name` (None or "" for the default); creates the workspace if new.

        Raises ConfigError for a name that is not a valid collection name, and KeyError for a
        workspace that does not exist when create is False.
        """
        name = (name or "").strip() or self.default_name
        if name.endswith(REGISTRY_SUFFIX):
            raise ConfigError(f"a workspace name cannot end in {REGISTRY_SUFFIX!r}: {name!r}")
        runtime = self._runtimes.get(name)
        if runtime is not None:
            return runtime
        default = self._runtimes[self.default_name]
        settings = default.settings.with_overrides(collection=name)  # validates the name
        if not create and name not in self.names():
            raise KeyError(name)
        with self._lock:
            if name not in self._runtimes:
                self._runtimes[name] = open_runtime(settings, embedder=default.embedder)
            return self._runtimes[name]

    def names(self) -> list[str]:
        """Every workspace in the store (a chunk collection with its registry), default first."""
        client = open_chroma_client(self._runtimes[self.default_name].settings)
        collections = {collection.name for collection in client.list_collections()}
        found = {
            name
            for name in collections
            if not name.endswith(REGISTRY_SUFFIX) and name + REGISTRY_SUFFIX in collections
        }
        found |= set(self._runtimes)
        return [self.default_name, *sorted(found - {self.default_name})]
