"""``# Copied from`` markers, read and applied exactly as transformers' ``check_copies`` does.

A reused TF class is only worth its marker if ``utils/check_copies.py`` accepts it, so the
replacement semantics here are the checker's: each ``A->B`` is a regular-expression
substitution applied in order, and ``all-casing`` adds the lower- and upper-case forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER = re.compile(r"^(\s*)#\s*Copied from\s+transformers\.(\S+\.\S+)\s*($|\S.*$)")
_PATTERN = re.compile(r"^\s*(\S+)->(\S+)(\s+.*|$)")


@dataclass(frozen=True)
class Replacement:
    old: str
    new: str
    all_casing: bool = False

    def apply(self, text: str) -> str:
        text = re.sub(self.old, self.new, text)
        if self.all_casing:
            text = re.sub(self.old.lower(), self.new.lower(), text)
            text = re.sub(self.old.upper(), self.new.upper(), text)
        return text

    def reversed(self) -> Replacement:
        return Replacement(self.new, self.old, self.all_casing)

    def render(self) -> str:
        return f"{self.old}->{self.new}" + (" all-casing" if self.all_casing else "")


@dataclass(frozen=True)
class CopiedFrom:
    """``# Copied from transformers.<module>.<object> with A->B, C->D``"""

    module: str  # e.g. models.bert.modeling_bert
    obj: str  # e.g. BertSelfAttention or BertSelfAttention.forward
    replacements: tuple[Replacement, ...] = field(default=())

    @property
    def is_whole_class(self) -> bool:
        return "." not in self.obj

    def apply(self, text: str) -> str:
        for replacement in self.replacements:
            text = replacement.apply(text)
        return text

    def render(self) -> str:
        marker = f"# Copied from transformers.{self.module}.{self.obj}"
        if self.replacements:
            marker += " with " + ", ".join(r.render() for r in self.replacements)
        return marker


def parse_marker(line: str) -> CopiedFrom | None:
    match = MARKER.search(line)
    if match is None:
        return None
    dotted, rest = match.group(2), match.group(3).strip()
    module_parts = dotted.split(".")
    # models.bert.modeling_bert.BertSelfAttention[.forward]: the module ends at the modeling_ part
    idx = next((i for i, part in enumerate(module_parts) if part.startswith("modeling_")), len(module_parts) - 2)
    module = ".".join(module_parts[: idx + 1])
    obj = ".".join(module_parts[idx + 1 :])
    replacements: list[Replacement] = []
    if rest.startswith("with"):
        for chunk in rest[len("with") :].split(","):
            found = _PATTERN.search(chunk)
            if found is None:
                continue
            old, new, option = found.groups()
            replacements.append(Replacement(old, new, option.strip() == "all-casing"))
    return CopiedFrom(module, obj, tuple(replacements))


def rename(old_prefix: str, new_prefix: str) -> tuple[Replacement, ...]:
    """The renaming that turns one model's code into another's: ``Bert->Roberta`` in all casings.

    Written as one replacement with ``all-casing`` when that covers the three forms, which is how
    transformers' own markers are usually written.
    """
    if old_prefix == new_prefix:
        return ()
    return (Replacement(old_prefix, new_prefix, True),)
