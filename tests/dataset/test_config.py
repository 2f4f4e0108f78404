"""spm.yaml: defaults and clear errors."""

from __future__ import annotations

import pytest

from spm_lib.dataset.config import Config, parse_config
from spm_lib.dataset.config_file import load_config
from spm_lib.exceptions import DataError


def test_defaults_without_spm_yaml(tmp_path):
    config = load_config(tmp_path)
    assert config == Config()
    assert config.won_stages == ["Closed Won"] and config.lost_stages == ["Closed Lost"]
    assert config.open_stages[0] == "Prospecting"


def test_full_config_parses():
    config = parse_config(
        {
            "currency": "EUR",
            "fiscal_year_start_month": 2,
            "as_of": "2026-09-30",
            "stages": ["New", {"name": "Won", "won": True}, {"name": "Lost", "lost": True}],
            "training_catalogue": {"Discovery": {"stage": "New"}},
            "currency_rates": {"usd": "0.92"},
            "database": {"url": "duckdb:///crm.duckdb"},
            "source": " Salesforce ",
        }
    )
    assert config.currency == "EUR" and config.fiscal_year_start_month == 2
    assert str(config.as_of) == "2026-09-30"
    assert config.stage_names == ["New", "Won", "Lost"]
    assert config.currency_rates == {"USD": 0.92}
    assert config.database == {"url": "duckdb:///crm.duckdb"} and config.source == "salesforce"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month is 13"),
        ({"as_of": "yesterday"}, "as_of is 'yesterday'"),
        ({"stages": ["A", "B"]}, "won: true"),
        ({"stages": ["A", "A", {"name": "W", "won": True}, {"name": "L", "lost": True}]}, "repeat"),
        ({"stages": [{"name": "W", "won": True, "colour": "red"}]}, "unknown keys"),
        ({"mapping": ["not", "a", "mapping"]}, "mapping must be a mapping"),
        ({"curency": "EUR"}, r"unknown key 'curency' \(did you mean 'currency'\?\)"),
        ({"comission_plans": {}}, "did you mean 'commission_plans'"),
        ({"custom": 1}, "unknown key 'custom'. Known keys: name, currency,"),
        ({"currency_rates": {"EUR": 0}}, "currency_rates.EUR is 0; expected a positive number"),
        ({"currency_rates": [1.1]}, "currency_rates must be a mapping"),
        # a currency code is printed beside every amount: three letters and nothing else
        ({"currency": "<img src=x onerror=alert(1)>"}, "expected an ISO 4217 code"),
        ({"currency": "US$"}, "expected an ISO 4217 code"),
        ({"currency": "USDX"}, "expected an ISO 4217 code"),
        ({"currency_rates": {"<b>EU</b>": 1.1}}, "expected ISO 4217 codes"),
        # the attack run's Medium and Low findings, each a sentence now
        ({"planning": {"target": float("inf")}}, "planning.target is inf"),
        ({"planning": {"target": {"growth": float("nan")}}}, "planning.target.growth"),
        (
            {"stages": ["A", {"name": "W", "won": "false"}, {"name": "L", "lost": True}]},
            "won: 'false'; expected true or false without quotes",
        ),
        (
            {"stages": ["A", "a ", {"name": "W", "won": True}, {"name": "L", "lost": True}]},
            "differ only by case or spaces",
        ),
        (
            {
                "stages": [
                    "A",
                    {"name": "W", "won": True, "lost": True},
                    {"name": "L", "lost": True},
                ]
            },
            "marked both won and lost",
        ),
        ({"as_of": "9999-12-31"}, "between 1900 and 2200"),
        ({"as_of": "2026-13-45"}, "expected a date YYYY-MM-DD"),
    ],
)
def test_invalid_config_names_the_problem(raw, message):
    with pytest.raises(DataError, match=message):
        parse_config(raw)


def test_unreadable_yaml_is_fatal(tmp_path):
    (tmp_path / "spm.yaml").write_text("stages: [unclosed\n")
    with pytest.raises(DataError, match="cannot read the configuration"):
        load_config(tmp_path)


BOMB = "\n".join(
    ["mapping:", "  x:", '    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"    {b}: &{b} [{', '.join([f'*{a}'] * 8)}]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    (tmp_path / "spm.yaml").write_text(BOMB + "\n")
    assert len(BOMB) < 1024
    with pytest.raises(DataError, match="expands to more than 100,000 values"):
        load_config(tmp_path)


def test_too_many_aliases_or_bytes_or_a_self_reference_are_refused(tmp_path):
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    (tmp_path / "spm.yaml").write_text(many)
    with pytest.raises(DataError, match="101 YAML aliases"):
        load_config(tmp_path)
    (tmp_path / "spm.yaml").write_text("currency: USD\n" + "# padding\n" * 110_000)
    with pytest.raises(DataError, match="expected at most 1,000,000"):
        load_config(tmp_path)
    (tmp_path / "spm.yaml").write_text("mapping: &m {x: *m}\n")
    with pytest.raises(DataError, match="expands to more than"):
        load_config(tmp_path)


def test_a_few_aliases_reusing_a_block_are_fine(tmp_path):
    (tmp_path / "spm.yaml").write_text(
        "currency: EUR\nmapping:\n  tables:\n    reps: &same {file: people.csv}\n    leads: *same\n"
    )
    assert load_config(tmp_path).currency == "EUR"


def test_a_dataset_name_for_forwarded_pages(tmp_path):
    (tmp_path / "spm.yaml").write_text("name: '  Acme CRM  '\n")
    assert load_config(tmp_path).name == "Acme CRM"
    (tmp_path / "spm.yaml").write_text("name: [1]\n")
    with pytest.raises(DataError, match="name must be a text"):
        load_config(tmp_path)


def test_planning_targets_parse_and_bad_ones_name_the_key():
    planning = parse_config(
        {"planning": {"target": {"growth": 0.08}, "cost_of_sales_target": 0.08}}
    ).planning
    assert planning == {
        "target": {"growth": 0.08},
        "cost_of_sales_target": 0.08,
        "reps_at_quota_target": None,
    }
    assert parse_config({"planning": {"target": 5_000_000}}).planning["target"] == {
        "amount": 5_000_000.0
    }
    assert parse_config({}).planning == {}
    for raw, message in [
        ({"target": "lots"}, "planning.target is 'lots'; expected a positive amount"),
        ({"target": {"growht": 0.1}}, "expected an amount or {growth: 0.08}"),
        ({"cost_of_sales_target": 8}, "planning.cost_of_sales_target is 8; expected a fraction"),
        ({"reps_at_quota": 0.6}, "planning has unknown key 'reps_at_quota'"),
    ]:
        with pytest.raises(DataError, match=message.replace("{", r"\{").replace("}", r"\}")):
            parse_config({"planning": raw})


def test_currency_codes_are_upper_cased_and_deals_is_the_count_unit():
    assert parse_config({"currency": " eur "}).currency == "EUR"
    assert parse_config({"currency": "deals"}).currency == "deals"
    assert parse_config({"currency_rates": {"gbp": 1.27}}).currency_rates == {"GBP": 1.27}


def test_a_binary_spm_yaml_is_a_sentence(tmp_path):
    path = tmp_path / "spm.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_config(tmp_path)
