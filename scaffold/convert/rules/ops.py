"""Rules of the ops concern (see scaffold/convert/rules/__init__.py)."""

from __future__ import annotations

from scaffold.convert.rules.base import Rule

RULES: list[type[Rule]] = []
