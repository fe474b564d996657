"""Optional sign-in: who may sign in, and the workspaces each user is granted.

QA_BOT_AUTH names one of two kinds of user source.

A JSON file of users with scrypt-hashed passwords (hashes come from `qa-bot hash-password`):

    {"users": {"alice": {"password": "scrypt$…", "workspaces": ["team-a"]},
               "admin": {"password": "scrypt$…", "workspaces": ["*"]}}}

Or a Python callable, as `package.module:function`, imported once at start-up (the module must be
importable: an installed package, or a folder on PYTHONPATH). It is called as
`function(username, password)` on every sign-in and returns the names of the workspaces the user
is granted ("*" for all), or None or an empty list to refuse. It may check an LDAP server, a
database or a single sign-on service; qa_bot stores nothing of it.

Both kinds are a `Users`: server, API and UI only call `authenticate`, `signed_in` and
`user_from_header`. A user granted nothing cannot sign in. Without QA_BOT_AUTH nobody signs in
and every workspace is open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import json
import logging
import re
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import ConfigError

log = logging.getLogger(__name__)

_N, _R, _P = 2**14, 8, 1
ALL = "*"
_CALLABLE_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, hashed: str) -> bool:
    try:
        scheme, salt, digest = hashed.split("$")
        expected = bytes.fromhex(digest)
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(password.encode(), salt=salt_bytes, n=_N, r=_R, p=_P)
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class User:
    name: str
    workspaces: tuple[str, ...]  # as granted, in order; "*" for all

    def may_use(self, workspace: str) -> bool:
        return ALL in self.workspaces or workspace in self.workspaces


class Users(ABC):
    """Who may sign in. Subclasses write `_grants`; the rest follows from it."""

    def __init__(self) -> None:
        self._signed_in: dict[str, User] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def _grants(self, name: str, password: str) -> list[str] | None:
        """The workspaces granted to this name and password; None or [] to refuse."""

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, if the password is right and they are granted some workspace."""
        grants = self._grants(name, password)
        if not grants:
            return None
        user = User(name, tuple(grants))
        with self._lock:
            self._signed_in[name] = user
        return user

    def signed_in(self, name: str | None) -> User | None:
        """A user who signed in earlier in this process (the UI's sessions know only the name)."""
        with self._lock:
            return self._signed_in.get(name) if name else None

    def user_from_header(self, authorization: str | None) -> User | None:
        """`Bearer name:password` (what OpenAI clients send as api_key) or HTTP Basic."""
        if not authorization or " " not in authorization:
            return None
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        elif scheme.lower() != "bearer":
            return None
        name, sep, password = credentials.partition(":")
        return self.authenticate(name, password) if sep else None


class UsersFile(Users):
    """Users from a JSON file, with scrypt password hashes."""

    def __init__(self, users: dict[str, tuple[str, list[str]]]) -> None:
        super().__init__()
        self._users = users  # name -> (password hash, granted workspaces)

    @classmethod
    def load(cls, path: Path) -> UsersFile:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            users = {
                name: (entry["password"], [str(w) for w in entry.get("workspaces", [])])
                for name, entry in raw["users"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"cannot read the users file {path} (QA_BOT_AUTH): {exc}; "
                'expected {"users": {"name": {"password": "scrypt$…", "workspaces": [...]}}}'
            ) from exc
        if not users:
            raise ConfigError(f"the users file {path} (QA_BOT_AUTH) names no users")
        return cls(users)

    def _grants(self, name: str, password: str) -> list[str] | None:
        entry = self._users.get(name)
        if entry is None:
            verify_password(password, hash_password("timing"))  # as slow as a real check
            return None
        password_hash, workspaces = entry
        return workspaces if verify_password(password, password_hash) else None


class UsersCallable(Users):
    """Users checked by a function(username, password) -> granted workspaces or None."""

    def __init__(self, check: Callable[[str, str], object], spec: str) -> None:
        super().__init__()
        self._check = check
        self._spec = spec

    @classmethod
    def load(cls, spec: str) -> UsersCallable:
        module_name, _, function_name = spec.partition(":")
        expected = "expected package.module:function(username, password) -> workspace names"
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # an ImportError, or whatever the module raised on import
            raise ConfigError(
                f"QA_BOT_AUTH={spec}: cannot import {module_name} ({type(exc).__name__}: {exc});"
                f" is its folder on PYTHONPATH? {expected}"
            ) from exc
        check = getattr(module, function_name, None)
        if not callable(check):
            raise ConfigError(
                f"QA_BOT_AUTH={spec}: {module_name} has no function {function_name!r}; {expected}"
            )
        return cls(check, spec)

    def _grants(self, name: str, password: str) -> list[str] | None:
        try:
            grants = self._check(name, password)
        except Exception:  # a sign-in service that fails refuses, it does not crash the server
            log.exception("QA_BOT_AUTH=%s raised for user %r; refused", self._spec, name)
            return None
        if grants is None:
            return None
        if not isinstance(grants, list | tuple | set | frozenset) or not all(
            isinstance(g, str) for g in grants
        ):
            log.error(
                "QA_BOT_AUTH=%s returned %r for user %r, not a list of workspace names; refused",
                self._spec,
                grants,
                name,
            )
            return None
        return list(grants)


def load_users(spec: str | Path) -> Users:
    """The users QA_BOT_AUTH names: `package.module:function`, else a JSON users file."""
    text = str(spec)
    if _CALLABLE_SPEC.match(text) and not Path(text).exists():
        return UsersCallable.load(text)
    return UsersFile.load(Path(text))
