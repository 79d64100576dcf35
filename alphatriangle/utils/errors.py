"""Errors that mean the user asked for something wrong: shown as one line, never a traceback."""

from pydantic import ValidationError


class UserError(Exception):
    """Bad input from the user; the message says what is wrong and how to fix it."""


def one_line(error: Exception) -> str:
    """A one-line reason for `error`: a validation error's first field and message."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def failure_reason(error: Exception) -> str:
    """One line: the exception a Ray task raised inside its actor (Ray wraps it, keeping it
    as `cause`), else the error's own message."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, Exception):
        return f"{type(cause).__name__}: {one_line(cause)}"
    return one_line(error)
