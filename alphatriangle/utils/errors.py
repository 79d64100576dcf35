"""Errors that mean the user asked for something wrong: shown as one line, never a traceback."""


class UserError(Exception):
    """Bad input from the user; the message says what is wrong and how to fix it."""
