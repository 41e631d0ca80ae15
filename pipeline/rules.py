"""The rule language of methodologies: parse, type-check, compile to parameterized SQL.

A rule is a boolean expression over named facts (pipeline/facts.yaml):

    buyer_is_felony
    buyer_max_prison_years >= 10
    mistake_of_age_buyer in [prohibited, limited]
    buyer_max_fine_usd >= 50000 and not (mistake_of_age_buyer == allowed)

Grammar (keywords are lower case):

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | compare
    compare := operand (OP operand | "in" "[" literal ("," literal)* "]")?
    operand := FACT | literal | "(" expr ")"
    literal := NUMBER | WORD | 'quoted text' | "quoted text" | true | false
    OP      := >= | <= | > | < | == | !=

Nothing of the rule text reaches SQL: fact names become identifiers from the fact registry,
and every literal becomes a bound parameter. A rule that names an unknown fact, compares
the wrong types or does not parse raises RuleError with the position.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

FACTS_PATH = Path(__file__).with_name("facts.yaml")
MAX_RULE_LENGTH = 2000
MAX_DEPTH = 50
OPERATORS = (">=", "<=", "==", "!=", ">", "<")
KEYWORDS = {"and", "or", "not", "in", "true", "false"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
  | (?P<op>>=|<=|==|!=|>|<)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<punct>[\[\](),])
    """,
    re.VERBOSE,
)


class RuleError(ValueError):
    """A rule that cannot be compiled. `position` is a 1-based character offset."""

    def __init__(self, message: str, position: int | None = None):
        self.message, self.position = message, position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")


@dataclass(frozen=True)
class Fact:
    name: str
    type: str
    description: str
    evidence: str
    allowed: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def load_facts() -> dict[str, Fact]:
    with FACTS_PATH.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)["facts"]
    return {
        name: Fact(name, spec["type"], " ".join(spec["description"].split()), spec["evidence"],
                   tuple(spec.get("allowed", ())))
        for name, spec in raw.items()
    }


# --- tokens ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str  # number, op, word, string, punct, end
    text: str
    pos: int  # 1-based


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"the rule is {len(text)} characters long; the limit is {MAX_RULE_LENGTH}")
    tokens, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise RuleError(f"unexpected character {text[i]!r}", i + 1)
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup, m.group(), i + 1))
        i = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# --- syntax tree -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FactRef:
    fact: Fact
    pos: int


@dataclass(frozen=True)
class Literal:
    value: float | str | bool
    type: str  # number, text, bool
    pos: int
    bare: bool = False  # an unquoted word: a value, or a misspelled fact


@dataclass(frozen=True)
class Compare:
    left: object
    op: str
    right: object
    pos: int


@dataclass(frozen=True)
class InList:
    operand: object
    values: tuple[Literal, ...]
    pos: int


@dataclass(frozen=True)
class Logic:
    op: str  # and, or
    parts: tuple[object, ...]


@dataclass(frozen=True)
class Not:
    operand: object


class _Parser:
    def __init__(self, text: str, facts: dict[str, Fact]):
        self.tokens = tokenize(text)
        self.i = 0
        self.facts = facts
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.text != text:
            raise RuleError(f"expected {text!r}, found {tok.text or 'the end'!r}", tok.pos)
        return tok

    def parse(self):
        if self.peek().kind == "end":
            raise RuleError("the rule is empty", 1)
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise RuleError(f"unexpected {tok.text!r}", tok.pos)
        return node

    def expr(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(f"the rule nests deeper than {MAX_DEPTH} levels", self.peek().pos)
        parts = [self.conj()]
        while self.peek().text == "or":
            self.take()
            parts.append(self.conj())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def conj(self):
        parts = [self.unary()]
        while self.peek().text == "and":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def unary(self):
        if self.peek().text == "not":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise RuleError(f"the rule nests deeper than {MAX_DEPTH} levels", self.peek().pos)
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.compare()

    def compare(self):
        left = self.operand()
        tok = self.peek()
        if tok.kind == "op":
            self.take()
            return Compare(left, tok.text, self.operand(), tok.pos)
        if tok.text == "in":
            self.take()
            self.expect("[")
            values = [self.literal()]
            while self.peek().text == ",":
                self.take()
                values.append(self.literal())
            self.expect("]")
            return InList(left, tuple(values), tok.pos)
        return left

    def operand(self):
        tok = self.peek()
        if tok.text == "(":
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "word" and tok.text not in KEYWORDS and tok.text in self.facts:
            self.take()
            return FactRef(self.facts[tok.text], tok.pos)
        return self.literal()

    def literal(self) -> Literal:
        tok = self.take()
        if tok.kind == "number":
            return Literal(float(tok.text), "number", tok.pos)
        if tok.kind == "string":
            return Literal(tok.text[1:-1], "text", tok.pos)
        if tok.text in ("true", "false"):
            return Literal(tok.text == "true", "bool", tok.pos)
        if tok.kind == "word" and tok.text not in KEYWORDS:
            return Literal(tok.text, "text", tok.pos, bare=True)
        raise RuleError(f"expected a fact or a value, found {tok.text or 'the end'!r}", tok.pos)


def parse(text: str, facts: dict[str, Fact] | None = None):
    """The syntax tree of a rule, type-checked against the fact registry."""
    facts = facts if facts is not None else load_facts()
    tree = _Parser(str(text), facts).parse()
    if isinstance(tree, Literal) and tree.bare:
        raise _unknown_fact(tree, facts)
    if _type_of(tree, facts) != "bool":
        raise RuleError("the rule must be true or false (compare the fact with a value)", 1)
    return tree


def _type_of(node, facts: dict[str, Fact]) -> str:
    if isinstance(node, FactRef):
        return node.fact.type
    if isinstance(node, Literal):
        return node.type
    if isinstance(node, Not):
        _need_bool(node.operand, facts)
        return "bool"
    if isinstance(node, Logic):
        for part in node.parts:
            _need_bool(part, facts)
        return "bool"
    if isinstance(node, Compare):
        if isinstance(node.left, Literal) and node.left.bare:
            raise _unknown_fact(node.left, facts)
        lt, rt = _type_of(node.left, facts), _type_of(node.right, facts)
        if not (isinstance(node.left, FactRef) or isinstance(node.right, FactRef)):
            raise RuleError("a comparison needs a fact on one side", node.pos)
        if lt != rt:
            raise RuleError(f"cannot compare {lt} with {rt}", node.pos)
        if lt in ("text", "bool") and node.op not in ("==", "!="):
            raise RuleError(f"{node.op} compares numbers; use == or != for {lt} facts", node.pos)
        for side in (node.left, node.right):
            _check_allowed(side, node.left if side is node.right else node.right)
        return "bool"
    if isinstance(node, InList):
        if isinstance(node.operand, Literal) and node.operand.bare:
            raise _unknown_fact(node.operand, facts)
        if not isinstance(node.operand, FactRef):
            raise RuleError("`in` needs a fact on its left", node.pos)
        for value in node.values:
            if value.type != node.operand.fact.type:
                raise RuleError(f"cannot compare {node.operand.fact.type} with {value.type}", value.pos)
            _check_allowed(value, node.operand)
        return "bool"
    raise RuleError("unknown rule element")


def _unknown_fact(word: Literal, facts: dict[str, Fact]) -> RuleError:
    close = difflib.get_close_matches(str(word.value), list(facts), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; known facts: {', '.join(sorted(facts))}"
    return RuleError(f"unknown fact {word.value!r}{hint}", word.pos)


def _need_bool(node, facts) -> None:
    if isinstance(node, Literal) and node.bare:
        raise _unknown_fact(node, facts)
    t = _type_of(node, facts)
    if t != "bool":
        raise RuleError(f"expected true/false, found a {t}", getattr(node, "pos", None))


def _check_allowed(value, other) -> None:
    if isinstance(value, Literal) and isinstance(other, FactRef) and other.fact.allowed:
        if value.value not in other.fact.allowed:
            raise RuleError(
                f"{other.fact.name} is one of {', '.join(other.fact.allowed)}; {value.value!r} is not",
                value.pos,
            )


# --- SQL -------------------------------------------------------------------------------------

_SQL_OPS = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "=", "!=": "<>"}
_SQL_TYPES = {"number": "DOUBLE", "text": "VARCHAR", "bool": "BOOLEAN"}


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class SqlBuilder:
    """Collects bound parameters while compiling; placeholders are positional `$n`."""

    def __init__(self, start: int = 1):
        self.params: list = []
        self.start = start
        self._slots: dict = {}

    def param(self, value, type_: str) -> str:
        """A placeholder for `value`; equal values of one type share one placeholder."""
        key = (type_, type(value), value)
        if key not in self._slots:
            self.params.append(value)
            self._slots[key] = self.start + len(self.params) - 1
        return f"CAST(${self._slots[key]} AS {_SQL_TYPES[type_]})"

    def compile(self, node, table_alias: str = "f") -> str:
        if isinstance(node, FactRef):
            return f"{table_alias}.{_q(node.fact.name)}"
        if isinstance(node, Literal):
            return self.param(node.value, node.type)
        if isinstance(node, Not):
            return f"(NOT {self.compile(node.operand, table_alias)})"
        if isinstance(node, Logic):
            joiner = f" {node.op.upper()} "
            return "(" + joiner.join(self.compile(p, table_alias) for p in node.parts) + ")"
        if isinstance(node, Compare):
            return (f"({self.compile(node.left, table_alias)} {_SQL_OPS[node.op]} "
                    f"{self.compile(node.right, table_alias)})")
        if isinstance(node, InList):
            values = ", ".join(self.param(v.value, v.type) for v in node.values)
            return f"({self.compile(node.operand, table_alias)} IN ({values}))"
        raise RuleError("unknown rule element")

    def tiers(self, tiers: list[tuple[object, float]], table_alias: str = "f") -> str:
        """Credit of the first tier that holds; NULL (not coded) when a condition before it is
        NULL; 0 when none holds."""
        sql = "CAST(0 AS DOUBLE)"
        for tree, credit in reversed(tiers):
            # a simple CASE evaluates its condition once; NULL matches neither TRUE nor FALSE
            sql = (f"CASE {self.compile(tree, table_alias)} WHEN TRUE THEN {self.param(float(credit), 'number')} "
                   f"WHEN FALSE THEN {sql} END")
        return sql


def facts_used(node) -> set[str]:
    if isinstance(node, FactRef):
        return {node.fact.name}
    if isinstance(node, (Not,)):
        return facts_used(node.operand)
    if isinstance(node, Logic):
        return set().union(*(facts_used(p) for p in node.parts))
    if isinstance(node, Compare):
        return facts_used(node.left) | facts_used(node.right)
    if isinstance(node, InList):
        return facts_used(node.operand)
    return set()
