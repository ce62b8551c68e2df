"""What ``check`` reports: one line per problem, naming file, name, fault and fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the tree
    line: int | None
    name: str  # the public name (or mapping, or model) concerned
    message: str
    fix: str  # the command or edit that fixes it
    severity: str = "error"  # "error" fails check; "warning" is shown on request
    fixable: bool = True  # whether ``apply`` fixes it

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.name}: {self.message} (fix: {self.fix})"

    def to_json(self) -> dict:
        return asdict(self)
