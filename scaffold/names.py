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
    """Natural order as ruff's ``natord`` has it: a digit run with a leading zero compares as text.

    ``natord`` compares such runs digit by digit (``02`` before ``1``), other runs by value.
    """
    parts = _DIGITS.split(text)
    out: list = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append((2, part))
        elif part.startswith("0"):
            out.append((0, part))
        else:
            out.append((1, int(part)))
    return tuple(out)


def isort_member_key(name: str) -> tuple:
    """Key of ruff's isort with ``order-by-type``: group, case-insensitive natural order, then the
    name itself so that the order never depends on the input order."""
    return (_group(name), _natural(name.lower()), _natural(name), name)


def sort_structure(names: list[str]) -> list[str]:
    return sorted(names, key=init_structure_key)


def sort_imports(names: list[str]) -> list[str]:
    return sorted(names, key=isort_member_key)


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and name.isascii()


_ABSTRACT_BASE = re.compile(r"(?:TF)?(?:\w*Pre[tT]rainedModel|Pretrained\w+Model)")


def is_abstract_pretrained(name: str) -> bool:
    """Whether a class name is a model's pretrained base (``TFBertPreTrainedModel``), not a model.

    The mixin cannot build one (it has no ``call``), so the test file and its sync leave it out.
    transformers spells it two ways, and some models also keep a deprecated alias of the base
    (``PretrainedBartModel``), which a port converts as well: all three are bases.
    """
    return bool(_ABSTRACT_BASE.fullmatch(name))
