"""A user directory as a function, for QA_BOT_AUTH=tests.sign_in:check (see qa_bot/auth.py)."""

from __future__ import annotations

import hmac

# name -> (password, granted workspaces); a real one would ask LDAP, a database or an SSO service.
DIRECTORY = {
    "alice": ("alice-pw", ["team-a"]),
    "bob": ("bob-pw", ["team-b"]),
    "erin": ("erin-pw", ["team-b", "team-a"]),
    "nobody": ("nobody-pw", []),
}


def check(username: str, password: str) -> list[str] | str | None:
    if username == "broken":
        raise ConnectionError("the directory server is down")
    if username == "sloppy":
        return "team-a"  # a string, not a list: refused rather than read as 't', 'e', ...
    entry = DIRECTORY.get(username)
    if entry is None or not hmac.compare_digest(entry[0], password):
        return None
    return entry[1]
