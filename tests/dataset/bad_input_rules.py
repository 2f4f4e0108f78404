"""The bad-input matrix's second half (:mod:`tests.dataset.test_bad_input`): dates and the
as-of date, history that contradicts its deal, spm.yaml, and every table beside opportunities.
Each case: (id, build(tmp_path) -> folder, outcome)."""

from __future__ import annotations

import pandas as pd

from tests.dataset.bad_inputs import (
    HISTORY,
    LEADS,
    QUOTAS,
    YAML_STAGES,
    binary_config,
    ds_ok,
    folder,
    opps,
)
from tests.helpers import ACCOUNTS, REPS

RULE_CASES = [
    # dates and the as-of date
    (
        "a history row dated 2099",
        lambda t: folder(
            t, opportunity_history=[*HISTORY, dict(HISTORY[1], changed_at="2099-11-30 09:00:00")]
        ),
        ("warning", "opportunity_history", "dated_after_as_of", [3]),
    ),
    (
        "a lead created in 2099",
        lambda t: folder(
            t, leads=[*LEADS, dict(LEADS[1], lead_id="L3", created_date="2099-01-01")]
        ),
        ("warning", "leads", "dated_after_as_of", [3]),
    ),
    (
        "a deal modified in 2099",
        lambda t: folder(
            t,
            opportunities=opps(
                *((i, {"modified_date": "2025-03-01"}) for i in range(3)),
                (3, {"modified_date": "2099-01-01"}),
            ),
        ),
        ("warning", "opportunities", "dated_after_as_of", [4]),
    ),
    (
        "as_of before the last changes",
        lambda t: folder(t, yaml="as_of: 2025-01-31\n", opportunity_history=HISTORY),
        ds_ok(
            lambda ds: (
                str(ds.as_of) == "2025-01-31"
                and set(ds.warnings.loc[ds.warnings["check"] == "dated_after_as_of", "table"])
                >= {"opportunity_history", "opportunities"}
            )
        ),
    ),
    (
        "as_of in the year 9999",
        lambda t: folder(t, yaml="as_of: 9999-12-31\n"),
        ("error", ["as_of", "between 1900 and 2200"]),
    ),
    (
        "as_of that is no date",
        lambda t: folder(t, yaml="as_of: yesterday\n"),
        ("error", ["as_of is 'yesterday'"]),
    ),
    (
        "as_of in month 13",
        lambda t: folder(t, yaml="as_of: '2026-13-01'\n"),
        ("error", ["as_of is '2026-13-01'"]),
    ),
    (
        "a time zone that does not exist",
        lambda t: folder(t, yaml="timezone: Mars/Olympus\n"),
        ("error", ["timezone is 'Mars/Olympus'"]),
    ),
    (
        "a timestamp with an offset",
        lambda t: folder(t, opportunities=opps((0, {"created_date": "2025-01-05T23:30:00-07:00"}))),
        ds_ok(lambda ds: str(ds.opportunities.loc[0, "created_date"].date()) == "2025-01-05"),
    ),
    # history that contradicts its deal
    (
        "a history that says won for a lost deal",
        lambda t: folder(
            t,
            opportunity_history=[
                {
                    "opportunity_id": "O2",
                    "changed_at": "2025-03-01 10:00:00",
                    "stage": "Closed Won",
                    "amount": "2500.50",
                    "close_date": "2025-03-01",
                }
            ],
        ),
        ("warning", "opportunities", "history_contradicts_deal", [2]),
    ),
    (
        "a history of a deal that does not exist",
        lambda t: folder(
            t, opportunity_history=[*HISTORY, dict(HISTORY[0], opportunity_id="O404")]
        ),
        ("quarantine", "opportunity_history", "orphan_opportunity_id", [3]),
    ),
    # spm.yaml
    (
        "won: 'false' in quotes",
        lambda t: folder(t, yaml=YAML_STAGES.replace("won: true", "won: 'false'") + "]\n"),
        ("error", ["won: 'false'"]),
    ),
    (
        "stages that differ only by case",
        lambda t: folder(t, yaml=YAML_STAGES.replace("Proposal,", "Proposal, proposal,") + "]\n"),
        ("error", ["differ only by case"]),
    ),
    (
        "a stage both won and lost",
        lambda t: folder(t, yaml=YAML_STAGES.replace("won: true", "won: true, lost: true") + "]\n"),
        ("error", ["both won and lost"]),
    ),
    (
        "stages without a lost one",
        lambda t: folder(t, yaml="stages: [A, {name: Closed Won, won: true}]\n"),
        ("error", ["lost: true"]),
    ),
    (
        "planning.target infinite",
        lambda t: folder(t, yaml="planning: {target: .inf}\n"),
        ("error", ["planning.target is inf"]),
    ),
    (
        "planning growth not a number",
        lambda t: folder(t, yaml="planning: {target: {growth: .nan}}\n"),
        ("error", ["planning.target.growth"]),
    ),
    (
        "a cost of sales above 100%",
        lambda t: folder(t, yaml="planning: {cost_of_sales_target: 8}\n"),
        ("error", ["cost_of_sales_target"]),
    ),
    ("a binary spm.yaml", binary_config, ("error", ["not UTF-8 text"])),
    (
        "spm.yaml that is a list",
        lambda t: folder(t, yaml="- a\n- b\n"),
        ("error", ["a mapping at the top level"]),
    ),
    (
        "an unknown spm.yaml key",
        lambda t: folder(t, yaml="currenci: USD\n"),
        ("error", ["did you mean 'currency'"]),
    ),
    (
        "a fiscal year starting in month 0",
        lambda t: folder(t, yaml="fiscal_year_start_month: 0\n"),
        ("error", ["fiscal_year_start_month is 0"]),
    ),
    (
        "a YAML alias bomb",
        lambda t: folder(
            t,
            yaml="a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ),
        ),
        ("error", ["expands to more"]),
    ),
    (
        "YAML that does not parse",
        lambda t: folder(t, yaml="currency: [USD\n"),
        ("error", ["cannot read the configuration"]),
    ),
    # other tables
    (
        "a quota for a rep who does not exist",
        lambda t: folder(t, quotas=[*QUOTAS, dict(QUOTAS[0], rep_id="R404")]),
        ("quarantine", "quotas", "orphan_rep_id", [3]),
    ),
    (
        "a quota that is no number",
        lambda t: folder(t, quotas=[*QUOTAS, dict(QUOTAS[0], rep_id="R3", amount="a lot")]),
        ("quarantine", "quotas", "unparseable_number", [3]),
    ),
    (
        "a lead owned by nobody known",
        lambda t: folder(t, leads=[*LEADS, dict(LEADS[1], lead_id="L3", owner_rep_id="R404")]),
        ("quarantine", "leads", "orphan_owner_rep_id", [3]),
    ),
    (
        "a rep hired on no date",
        lambda t: folder(
            t,
            reps=[dict(REPS[0], hire_date="soon"), *REPS[1:]],
            opportunities=opps((0, {"rep_id": "R2"}), (1, {"rep_id": "R2"})),
            accounts=pd.DataFrame(ACCOUNTS).assign(owner_rep_id=["R2", "R2"]),
        ),
        ("quarantine", "reps", "unparseable_date", [1]),
    ),
]
