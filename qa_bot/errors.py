"""Our exception types; every message says what went wrong and, where possible, what to do."""

from __future__ import annotations


class QaBotError(Exception):
    """Base for errors shown to the user as one line, never as a traceback."""


class ConfigError(QaBotError):
    """A setting is missing or invalid."""


class DocumentError(QaBotError):
    """One file could not be ingested; the others still are."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnsupportedFileError(DocumentError):
    """The file type is not one we read."""


class EmptyDocumentError(DocumentError):
    """The file holds no text."""


class EncryptedDocumentError(DocumentError):
    """The file is password-protected."""


class CorruptDocumentError(DocumentError):
    """The file is damaged or not what its extension says."""


class StoreError(QaBotError):
    """The vector store cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another process is writing to the same store."""


class WorkspaceNotEmptyError(StoreError):
    """A workspace asked to be deleted still holds documents."""


class WorkspaceNotFoundError(StoreError):
    """A workspace asked for by name does not exist."""


class EmptyStoreError(QaBotError):
    """Nothing has been ingested yet."""


class MissingDependencyError(ConfigError, ImportError):
    """An optional package for the chosen backend is not installed; the message names it."""


class NotGrantedError(QaBotError):
    """The signed-in user is not granted the workspace asked for."""
