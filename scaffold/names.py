"""Orders of names as transformers' own tools write them.

Two different sorters touch the main ``__init__.py``: ``utils/custom_init_isort.py`` sorts the
``_import_structure`` half and ruff's isort sorts the ``TYPE_CHECKING`` imports. They agree on
the grouping (constants, classes, functions) but not on the order inside a group, so a block
written with the wrong one is rewritten by ``make style`` and shows up as a diff.
"""

import re

_DIGITS = re.compile(r"(\d+)")


def _group(name: str) -> int:
    if name.isupper() and len(name) > 1:
        return 0
    if name[:1].isupper():
        return 1
    return 2


def init_structure_key(name: str) -> tuple[int, str]:
    """Key of ``custom_init_isort``: group, then lower case with underscores ignored."""
    return (_group(name), name.lower().replace("_", ""))


def _natural(text: str) -> tuple:
    parts = _DIGITS.split(text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def isort_member_key(name: str) -> tuple:
    """Key of ruff's isort with ``order-by-type``: group, then case-insensitive natural order."""
    return (_group(name), _natural(name.lower()), _natural(name))


def sort_structure(names: list[str]) -> list[str]:
    return sorted(names, key=init_structure_key)


def sort_imports(names: list[str]) -> list[str]:
    return sorted(names, key=isort_member_key)


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and name.isascii()
