"""Errors a user can act on.

Every command turns a :class:`ScaffoldError` into one line on stderr and exit code 2, so that
a pre-commit hook or a script can tell "your input is wrong" (2) from "your tree is
inconsistent" (1) without parsing text.
"""


class ScaffoldError(Exception):
    """A problem with the user's input or tree; the message is shown as is, on one line."""

    exit_code = 2
