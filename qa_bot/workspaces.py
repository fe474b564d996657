"""Workspaces: separate document sets, one Chroma collection (plus registry and keyword index) each.

A workspace is a collection name. The runtime a process starts with serves the default workspace
(settings.collection); others are opened on first use and share its embedding model. With sign-in,
`open_for` is the one place that decides whether a user may use a workspace (API and UI alike).
"""

from __future__ import annotations

import threading
from pathlib import Path

from qa_bot.auth import ALL, User
from qa_bot.chroma_client import open_chroma_client
from qa_bot.errors import ConfigError, NotGrantedError, QaBotError
from qa_bot.runtime import Runtime, open_runtime
from qa_bot.store import REGISTRY_SUFFIX, DocumentStore
from qa_bot.uploads import discard


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
        runtime = self._runtimes.get(name)
        if runtime is not None and (name == self.default_name or runtime.store.exists()):
            return runtime
        if runtime is not None:  # deleted by another process: forget it, open it anew
            with self._lock:
                if self._runtimes.get(name) is runtime:
                    del self._runtimes[name]
        default = self._runtimes[self.default_name]
        try:
            if name.endswith(REGISTRY_SUFFIX):
                raise ConfigError(f"it may not end in {REGISTRY_SUFFIX!r}")
            settings = default.settings.with_overrides(collection=name)  # validates the name
        except ConfigError as exc:
            raise ConfigError(
                f"{name!r} is not a valid workspace name: use 3-63 letters, digits, '-' or '_',"
                f" not ending in {REGISTRY_SUFFIX!r}"
            ) from exc
        if not create and name not in self.names():
            raise KeyError(name)
        with self._lock:
            if name not in self._runtimes:
                self._runtimes[name] = open_runtime(
                    settings, embedder=default.embedder, reranker=default.reranker
                )
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
        return [self.default_name, *sorted(found - {self.default_name})]

    def delete(self, user: User | None, name: str | None) -> None:
        """Delete an empty workspace the user may use: its collections, keyword index and
        upload folder. The default workspace stays (ConfigError), one holding documents stays
        (WorkspaceNotEmptyError), and an unknown one raises KeyError."""
        name = (name or "").strip() or self.default_for(user)
        if name in (self.default_for(user), self.default_name):
            raise ConfigError(f"{name!r} is the default workspace: it cannot be deleted")
        runtime = self.open_for(user, name)
        with self._lock:
            # Out of the list first, so a session choosing it meanwhile finds it not created.
            self._runtimes.pop(name, None)
            try:
                delete_empty_workspace(runtime.store)
            except QaBotError:
                self._runtimes[name] = runtime
                raise

    # Access: `user` is None when sign-in is off, and then every workspace is open.

    def default_for(self, user: User | None) -> str:
        """The server's default workspace, or the user's first granted one if not that."""
        if user is None or user.may_use(self.default_name):
            return self.default_name
        return next(name for name in user.workspaces if name != ALL)

    def choices_for(self, user: User | None) -> list[str]:
        """The workspaces a user may choose: existing ones, and granted names not created yet."""
        names = [name for name in self.names() if user is None or user.may_use(name)]
        granted = user.workspaces if user is not None else ()
        return names + [name for name in granted if name != ALL and name not in names]

    def open_for(self, user: User | None, name: str | None, *, create: bool = False) -> Runtime:
        """`get` for a user: NotGrantedError unless the user may use the workspace (checked
        before the name, so a refusal says nothing about what exists); None is their default."""
        wanted = (name or "").strip() or self.default_for(user)
        if user is not None and not user.may_use(wanted):
            raise NotGrantedError(f"user {user.name!r} is not granted workspace {wanted!r}")
        return self.get(wanted, create=create)


def delete_empty_workspace(store: DocumentStore) -> None:
    """Drop an empty workspace's store (see DocumentStore.delete_empty) and its saved uploads,
    whose documents were removed before."""
    store.delete_empty()
    _discard_uploads(store.settings.upload_dir)


def _discard_uploads(folder: Path) -> None:
    """Files only: the "documents" workspace's folder, when not the default, holds the others'."""
    if folder.is_dir():
        discard([str(path) for path in folder.iterdir() if path.is_file()])
