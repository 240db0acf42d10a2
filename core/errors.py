"""Error hierarchy: every problem a user can cause is a SwarmscopeError with one clear message."""
from __future__ import annotations


class SwarmscopeError(Exception):
    """Base of every error the engine raises on purpose (CLI exit 2, st.error in the app)."""


class ScenarioError(SwarmscopeError):
    """A scenario field is missing, malformed or out of range; `field` is its path, e.g. servers[3].memory_gb."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        text = f"{field}: {message}" if field else message
        # one line whatever the file held: control characters (a newline in a key) are shown escaped
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


class Infeasible(SwarmscopeError):
    """No placement or chain satisfies the constraints; `details` carries data the app can draw."""

    def __init__(self, message: str, details: dict | None = None):
        self.details = details or {}
        super().__init__(message)
