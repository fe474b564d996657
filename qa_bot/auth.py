"""Optional sign-in: users with scrypt-hashed passwords, each granted some workspaces.

QA_BOT_AUTH names a JSON file:

    {"users": {"alice": {"password": "scrypt$…", "workspaces": ["team-a"]},
               "admin": {"password": "scrypt$…", "workspaces": ["*"]}}}

Hashes come from `qa-bot hash-password`. Without QA_BOT_AUTH nobody signs in and every
workspace is open, as before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import ConfigError

_N, _R, _P = 2**14, 8, 1
ALL = "*"


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
    password_hash: str
    workspaces: frozenset[str]

    def may_use(self, workspace: str) -> bool:
        return ALL in self.workspaces or workspace in self.workspaces


class Users:
    def __init__(self, users: dict[str, User]) -> None:
        self._users = users

    @classmethod
    def load(cls, path: Path) -> Users:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            users = {
                name: User(name, entry["password"], frozenset(entry.get("workspaces", [])))
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

    def authenticate(self, name: str, password: str) -> User | None:
        user = self._users.get(name)
        if user is None:
            verify_password(password, hash_password("timing"))  # as slow as a real check
            return None
        return user if verify_password(password, user.password_hash) else None

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
