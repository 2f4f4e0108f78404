"""`spm run --segment-by`: a pack per audience, each holding nothing of another audience, with
its own forecast history; the index of every period lists them. The audiences are the sample's
managers' teams: an SDR team's leads become the account executives' deals of other teams, the
attack run's leak (23 AEs of other packs on the SDR manager's lead-conversion page)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import manager_folder, spm


def _names_of(sample: Path, manager: str | None) -> dict[str, set[str]]:
    """Rep names, managers, rep ids and account names of ``manager``'s team (None: everyone);
    an account belongs to the reps that own it or have a deal on it."""
    reps = pd.read_csv(sample / "reps.csv")
    opps = pd.read_csv(sample / "opportunities.csv", usecols=["rep_id", "account_id"])
    accounts = pd.read_csv(sample / "accounts.csv")
    mine = reps if manager is None else reps[reps["manager"] == manager]
    ids = set(mine["rep_id"])
    dealt = set(opps.loc[opps["rep_id"].isin(ids), "account_id"])
    held = accounts[accounts["owner_rep_id"].isin(ids) | accounts["account_id"].isin(dealt)]
    return {
        "rep": set(mine["name"]) | set(mine["manager"].dropna()),
        "id": ids,
        "account": set(held["name"]),
    }


def _managers(sample: Path) -> list[str]:
    return sorted(pd.read_csv(sample / "reps.csv")["manager"].dropna().unique())


def _texts(pack: Path) -> dict[str, str]:
    return {
        str(p.relative_to(pack)): p.read_text(encoding="utf-8", errors="replace")
        for p in pack.rglob("*")
        if p.is_file()
    }


def test_each_team_pack_holds_nothing_of_another_team(by_manager, small_sample):
    everyone = _names_of(small_sample, None)
    managers = _managers(small_sample)
    assert len(managers) >= 3
    for manager in managers:
        pack = by_manager / "2026-Q3" / manager_folder(manager)
        texts = _texts(pack)
        assert {
            "index.html",
            "manifest.json",
            "rep_performance.html",
            "lead_conversion.html",
            "executed/rep_performance.ipynb",
            "executed/rep_performance.log",
        } <= set(texts)
        assert not list(pack.rglob("*.parquet"))  # the company's data stays in .spm
        mine = _names_of(small_sample, manager)
        theirs = {kind: everyone[kind] - mine[kind] for kind in everyone}
        assert theirs["rep"] and theirs["account"]
        for path, text in texts.items():
            for kind in ("rep", "account"):
                for name in theirs[kind]:
                    for shown in {name, html.escape(name), json.dumps(name)[1:-1]}:
                        assert shown not in text, (manager, path, kind, name)
            leaked = {i for i in theirs["id"] if re.search(rf"\b{i}\b", text)}
            assert not leaked, (manager, path, leaked)
        manifest = json.loads(texts["manifest.json"])
        assert manifest["segment"] == f"manager={manager}"
        assert manifest["audience"] != "All"


def test_the_company_pack_and_the_index_of_every_period(by_manager, small_sample):
    company = json.loads((by_manager / "2026-Q3" / "all" / "manifest.json").read_text())
    assert company["segment"] == "" and company["folder"] == "all"
    index = (by_manager / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert links[0] == "2026-Q3/all/index.html"
    assert set(links) == {
        "2026-Q3/all/index.html",
        *(f"2026-Q3/{manager_folder(m)}/index.html" for m in _managers(small_sample)),
    }
    for link in links:
        assert (by_manager / link).is_file()


def test_teams_add_up_to_the_company(by_manager, small_sample):
    """Every rep has a manager here, so the teams' bookings are the company's."""

    def bookings(folder: str) -> float:
        manifest = json.loads((by_manager / "2026-Q3" / folder / "manifest.json").read_text())
        return {n["name"]: n for n in manifest["notebooks"]}["rep_performance"]["key_figures"][
            "bookings"
        ]

    teams = [manager_folder(m) for m in _managers(small_sample)]
    assert sum(bookings(f) for f in teams) == pytest.approx(bookings("all"))


def test_one_audience_never_changes_another_audiences_figures(by_manager, small_sample, tmp_path):
    """The forecast history is kept per audience: after the regions' runs, the company's run
    again gives the company's figures as they were (it said -66% instead of -3.8% when the
    audiences shared one history)."""
    out = tmp_path / "out"
    shutil.copytree(by_manager, out, symlinks=True)
    state = out / ".spm" / "state"
    team = manager_folder(_managers(small_sample)[0])
    assert (state / "all" / "forecast_history.csv").read_text() != (
        state / team / "forecast_history.csv"
    ).read_text()

    def forecast(folder: str) -> dict:
        manifest = json.loads((out / "2026-Q3" / folder / "manifest.json").read_text())
        return {n["name"]: n for n in manifest["notebooks"]}["forecasting"]["key_figures"]

    first, theirs = forecast("all"), forecast(team)
    assert theirs["forecast_next_quarter"] < first["forecast_next_quarter"]
    result = spm(
        "run",
        "--data",
        str(small_sample),
        "--out",
        str(out),
        "--notebooks",
        "forecasting",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert forecast("all") == first
    assert forecast(team) == theirs  # the team's pack was left as it was


def test_segment_by_a_column_reps_do_not_have_is_an_error(small_sample, tmp_path):
    result = spm(
        "run",
        "--data",
        str(small_sample),
        "--out",
        str(tmp_path),
        "--segment-by",
        "planet",
        "--quiet",
    )
    assert result.returncode == 2
    assert "reps has no column 'planet'" in result.stderr and "region" in result.stderr
    assert not (tmp_path / "2026-Q3").exists()


def test_a_segment_value_is_a_value_whatever_it_holds(small_sample, tmp_path):
    """The attack run: a region ``West;segment=Enterprise`` gave a pack of the West Enterprise
    reps instead of its own rep, and any ``;`` in a value stopped the whole run (exit 2)."""
    data = tmp_path / "data"
    shutil.copytree(small_sample, data)
    reps = pd.read_csv(data / "reps.csv", dtype=str, keep_default_na=False)
    odd = "West;segment=Enterprise"
    alone = reps.index[(reps["region"] == "West") & (reps["role"] == "AE")][0]
    reps.loc[alone, "region"] = odd
    reps.loc[reps["region"] == "Central", "region"] = r"Cent\ral; "  # a backslash, a space
    reps.to_csv(data / "reps.csv", index=False)
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(out),
        "--segment-by",
        "region",
        "--notebooks",
        "rep_performance",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifests = {
        json.loads(p.read_text())["segment"]: p.parent
        for p in (out / "2026-Q3").glob("*/manifest.json")
    }
    assert set(manifests) == {
        "",
        "region=East",
        "region=West",
        r"region=Cent\\ral\;",
        r"region=West\;segment=Enterprise",
    }
    pack = manifests[r"region=West\;segment=Enterprise"]
    page = (pack / "rep_performance.html").read_text()
    others = set(reps.loc[reps.index != alone, "name"])
    assert reps.loc[alone, "name"] in page
    assert not [n for n in others if n in page]
    assert "/" not in pack.name and ";" not in pack.name and "\\" not in pack.name


def test_an_audience_that_cannot_be_built_fails_alone():
    from spm_lib.exceptions import DataError
    from spm_lib.suite.runner import _narrowed

    class Company:
        def narrow(self, segment):
            if segment == "region=Broken":
                raise DataError("audience 'region=Broken' matches no rep")
            return segment or "company"

    built, unbuilt = _narrowed(Company(), ["", "region=West", "region=Broken"], alone=False)
    assert built == {"": "company", "region=West": "region=West"}
    assert [(u["segment"], u["failed"], u["path"]) for u in unbuilt] == [
        ("region=Broken", True, None)
    ]
    assert "matches no rep" in unbuilt[0]["error"]
    with pytest.raises(DataError):  # one audience asked for alone stops the run
        _narrowed(Company(), ["region=Broken"], alone=True)
