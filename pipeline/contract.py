"""The raw-data contract, loaded from contract.yaml: tables, columns, rules.

One source for the ingest schemas (pipeline.schemas) and the codebook (pipeline.codebook).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

# Row rules that compare a row with the accepted felony classes (read those first).
CLASS_RULES = {"penalty_resolves", "classes_conflict"}

COLUMN_TYPES = ("text", "state", "date", "number", "integer", "bool", "enum", "url")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    example: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    path: str
    grain: str
    description: str
    key: tuple[str, ...] | None
    columns: tuple[Column, ...]
    row_rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present in the file's header (every contract column is)."""
        return self.column_names

    @property
    def reads_felony_classes(self) -> bool:
        """Whether a row rule of this table checks rows against the accepted felony classes."""
        return bool(CLASS_RULES & set(self.row_rules))

    @property
    def is_versioned(self) -> bool:
        return "effective_from" in self.column_names

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Contract:
    tables: dict[str, Table]
    rules: dict[str, str]

    def rule_text(self, rule: str) -> str:
        return self.rules.get(rule, rule)

    @property
    def statute_tables(self) -> tuple[str, ...]:
        """The coded-law tables (files under statutes/), in the order they must be read."""
        return tuple(name for name, t in self.tables.items() if t.path.startswith("statutes/"))


def _column(raw: dict) -> Column:
    if raw["type"] not in COLUMN_TYPES:
        raise ValueError(f"contract.yaml: column {raw['name']!r} has unknown type {raw['type']!r}")
    return Column(
        name=raw["name"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        description=" ".join(str(raw.get("description", "")).split()),
        allowed=tuple(str(a) for a in raw.get("allowed", ())),
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),
        example=None if raw.get("example") is None else str(raw["example"]),
    )


def parse_contract(raw: dict) -> Contract:
    groups = {
        name: [_column(c) for c in cols] for name, cols in raw.get("column_groups", {}).items()
    }
    tables = {}
    for name, t in raw["tables"].items():
        cols: list[Column] = []
        for c in t["columns"]:
            cols.extend(groups[c["group"]] if "group" in c else [_column(c)])
        tables[name] = Table(
            name=name,
            path=t["path"],
            grain=t["grain"],
            description=" ".join(str(t.get("description", "")).split()),
            key=tuple(t["key"]) if t.get("key") else None,
            columns=tuple(cols),
            row_rules=tuple(t.get("row_rules", ())),
        )
    rules = {k: " ".join(str(v).split()) for k, v in raw["rules"].items()}
    return Contract(tables=tables, rules=rules)


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    with CONTRACT_PATH.open(encoding="utf-8") as f:
        return parse_contract(yaml.safe_load(f))
