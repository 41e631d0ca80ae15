"""The rule language: what parses, what is refused (with positions), and safe SQL."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.rules import RuleError, SqlBuilder, facts_used, parse


def evaluate(rule: str, **facts):
    """Evaluate a rule in DuckDB against one row of facts (unset facts are NULL)."""
    tree = parse(rule)
    b = SqlBuilder()
    expr = b.compile(tree)
    cols = {
        "buyer_is_felony": "BOOLEAN", "buyer_max_prison_years": "DOUBLE", "buyer_max_fine_usd": "DOUBLE",
        "mistake_of_age_buyer": "VARCHAR",
    }
    with duckdb.connect() as con:
        con.execute("CREATE TABLE f (" + ", ".join(f"{k} {t}" for k, t in cols.items()) + ")")
        con.execute("INSERT INTO f VALUES (?, ?, ?, ?)", [facts.get(k) for k in cols])
        return con.execute(f"SELECT {expr} FROM f", b.params).fetchone()[0]


@pytest.mark.parametrize(
    "rule,facts,expected",
    [
        ("buyer_is_felony", {"buyer_is_felony": True}, True),
        ("buyer_max_prison_years >= 10", {"buyer_max_prison_years": 10}, True),
        ("buyer_max_prison_years >= 10", {"buyer_max_prison_years": 9.5}, False),
        ("buyer_max_prison_years >= 10", {"buyer_max_prison_years": float("inf")}, True),
        ("buyer_max_prison_years >= 10", {}, None),
        ("mistake_of_age_buyer in [prohibited, limited]", {"mistake_of_age_buyer": "limited"}, True),
        ("mistake_of_age_buyer == 'allowed'", {"mistake_of_age_buyer": "allowed"}, True),
        ("not buyer_is_felony", {"buyer_is_felony": False}, True),
        ("buyer_is_felony or buyer_max_fine_usd > 5", {"buyer_max_fine_usd": 10}, True),
        ("buyer_is_felony and (buyer_max_fine_usd > 5)", {"buyer_is_felony": True, "buyer_max_fine_usd": 1}, False),
        ("buyer_is_felony == true", {"buyer_is_felony": True}, True),
        ("10 <= buyer_max_prison_years", {"buyer_max_prison_years": 12}, True),
    ],
)
def test_rules_evaluate_with_three_valued_logic(rule, facts, expected):
    assert evaluate(rule, **facts) == expected


@pytest.mark.parametrize(
    "rule,message,position",
    [
        ("buyer_max_prisn >= 10", "unknown fact 'buyer_max_prisn' (did you mean 'buyer_max_prison_years'?)", 1),
        ("buyer_felony", "unknown fact 'buyer_felony'", 1),
        ("buyer_max_prison_years >= ten", "cannot compare number with text", 24),
        ("buyer_max_prison_years => 10", "unexpected character '='", 24),
        ("buyer_is_felony and", "expected a fact or a value", 20),
        ("(buyer_is_felony", "expected ')'", 17),
        ("mistake_of_age_buyer == maybe", "mistake_of_age_buyer is one of", 25),
        ("mistake_of_age_buyer >= prohibited", ">= compares numbers", 22),
        ("buyer_max_prison_years", "must be true or false", 1),
        ("1 >= 2", "needs a fact on one side", 3),
        ("", "the rule is empty", 1),
        ("buyer_is_felony; DROP TABLE f", "unexpected character ';'", 16),
        ("__import__('os').system('x')", "unexpected character '.'", 17),
        ("buyer_is_felony' OR 1=1 --", "unexpected character \"'\"", 16),
    ],
)
def test_bad_rules_are_refused_with_their_position(rule, message, position):
    with pytest.raises(RuleError) as err:
        parse(rule)
    assert message in err.value.message
    assert err.value.position == position


def test_rule_text_never_reaches_sql_only_parameters():
    with pytest.raises(RuleError):
        parse("mistake_of_age_buyer == 'x''); DROP TABLE f; --' or buyer_is_felony")
    b = SqlBuilder()
    sql = b.compile(parse("buyer_max_prison_years >= 10 and mistake_of_age_buyer in [prohibited]"))
    assert "10" not in sql and "prohibited" not in sql
    assert b.params == [10.0, "prohibited"]


def test_deep_nesting_is_refused_before_it_exhausts_the_stack():
    with pytest.raises(RuleError, match="nests deeper"):
        parse("(" * 200 + "buyer_is_felony" + ")" * 200)
    with pytest.raises(RuleError, match="nests deeper"):
        parse("not " * 200 + "buyer_is_felony")


def test_very_long_rules_are_refused():
    with pytest.raises(RuleError, match="limit"):
        parse(" or ".join(["buyer_is_felony"] * 500))


def test_facts_used_lists_each_fact_once():
    assert facts_used(parse("buyer_is_felony and (buyer_is_felony or buyer_max_fine_usd > 1)")) == {
        "buyer_is_felony", "buyer_max_fine_usd"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_either_parses_or_raises_rule_error(text):
    try:
        parse(text)
    except RuleError:
        pass


TOKENS = ["buyer_is_felony", "buyer_max_prison_years", "mistake_of_age_buyer", "and", "or", "not", "(", ")",
          ">=", "==", "<", "in", "[", "]", ",", "10", "2.5", "prohibited", "'limited'", "true", "x", ";", "--"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_token_soup_either_compiles_and_runs_or_raises_rule_error(tokens):
    text = " ".join(tokens)
    try:
        tree = parse(text)
    except RuleError:
        return
    b = SqlBuilder()
    expr = b.compile(tree)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE f (buyer_is_felony BOOLEAN, buyer_max_prison_years DOUBLE, "
                    "mistake_of_age_buyer VARCHAR)")
        con.execute("INSERT INTO f VALUES (true, 12, 'limited'), (NULL, NULL, NULL)")
        con.execute(f"SELECT {expr} FROM f", b.params).fetchall()
