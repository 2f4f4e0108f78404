"""Importers lose nothing: a report in several files is one report, files of one name are
refused, the output folder holds this import alone, and a zip or a header cannot exhaust the
machine (each refusal a sentence and exit 2)."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.readers import MAX_COLUMNS, read_raw
from spm_lib.exceptions import DataError
from spm_lib.importers import files as import_files
from spm_lib.importers import import_export
from tests.helpers import spm
from tests.importers import vendor_exports


@pytest.fixture(scope="module")
def report_in_two_files(small_sample, tmp_path_factory):
    """The Salesforce Opportunities report split by close year into two files, as a report too
    big for one export is saved."""
    folder = tmp_path_factory.mktemp("two-files")
    report, history, users = vendor_exports.salesforce(small_sample, folder / "export")
    frame = pd.read_csv(report, dtype=str, keep_default_na=False, encoding="cp1252")
    year = frame["Close Date"].str[-4:]
    first = year <= year.sort_values().iloc[len(year) // 2]
    parts = [folder / "Opportunities 2024.csv", folder / "Opportunities 2025.csv"]
    frame[first].to_csv(parts[0], index=False, encoding="cp1252")
    frame[~first].to_csv(parts[1], index=False, encoding="cp1252")
    assert 0 < first.sum() < len(frame)
    return frame, [*parts, history, users]


def test_a_report_in_two_files_is_one_report(report_in_two_files, tmp_path):
    """The attack run: the last file won, 2,021 of 4,043 deals gone."""
    frame, paths = report_in_two_files
    ds = load_dataset(import_export("salesforce", paths, tmp_path / "ds"))
    read = ds.rows_read["opportunities"]
    assert read == len(frame)
    assert set(ds.opportunities["opportunity_id"]) | set(
        ds.quarantine.loc[ds.quarantine["table"] == "opportunities", "key"]
    ) == set(frame["Opportunity ID"])


def test_two_files_of_one_report_with_other_columns_are_refused_by_name(
    report_in_two_files, tmp_path
):
    frame, paths = report_in_two_files
    narrow = tmp_path / "Opportunities narrow.csv"
    frame.drop(columns=["Lead Source"]).head(5).to_csv(narrow, index=False)
    result = spm(
        "import", "--from", "salesforce", str(paths[0]), str(narrow), "--out", str(tmp_path / "ds")
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Opportunities 2024.csv" in result.stderr and "Opportunities narrow.csv" in result.stderr
    assert "Lead Source" in result.stderr


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_members_of_one_name_are_refused(tmp_path):
    """Members with one base name in two folders of the zip overwrote each other, uncounted."""
    archive = _zip(
        tmp_path / "export.zip",
        {"2024/Opportunity.csv": b"Id,Name\n1,a\n", "2025/Opportunity.csv": b"Id,Name\n2,b\n"},
    )
    result = spm("import", "--from", "salesforce", str(archive), "--out", str(tmp_path / "ds"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "2024/Opportunity.csv" in result.stderr and "2025/Opportunity.csv" in result.stderr
    # two inputs of one name, in two folders: refused too
    for year in ("a", "b"):
        (tmp_path / year).mkdir()
        (tmp_path / year / "Users.csv").write_text("Full Name\nAnn\n")
    with pytest.raises(ValueError, match="two files named Users.csv"):
        import_files.expand([tmp_path / "a", tmp_path / "b"])


def test_out_is_new_or_empty_and_force_empties_an_earlier_import(report_in_two_files, tmp_path):
    """Importing into an old import's folder kept its stale tables."""
    _, paths = report_in_two_files
    out = tmp_path / "ds"
    out.mkdir()
    (out / "quotas.csv").write_text("rep_id,period_start,period_end,quota\n")  # stale table
    result = spm("import", "--from", "salesforce", *map(str, paths), "--out", str(out))
    assert result.returncode == 2 and "not empty" in result.stderr and "--force" in result.stderr
    result = spm("import", "--from", "salesforce", *map(str, paths), "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "quotas.csv").exists() and (out / "opportunities.csv").exists()
    # --force never empties a folder that is not an import's
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    result = spm("import", "--from", "salesforce", *map(str, paths), "--out", str(home), "--force")
    assert result.returncode == 2 and "notes.txt" in result.stderr
    assert (home / "notes.txt").read_text() == "mine"


def test_a_zip_bomb_is_refused_before_it_fills_the_disk(tmp_path):
    """A 3 MB zip took 3.8 GB: a member that unpacks past 250 times its packed size stops."""
    bomb = _zip(tmp_path / "bomb.zip", {"Opportunity.csv": b"Id,Name\n" + b"," * (40 * 2**20)})
    assert bomb.stat().st_size < 200_000
    result = spm("import", "--from", "salesforce", str(bomb), "--out", str(tmp_path / "ds"))
    assert result.returncode == 2 and "zip bomb" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_unpacked_size_and_rows_are_capped_with_a_sentence(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "export.zip", {"Opportunity.csv": b"Id,Name\n" + b"1,a\n" * 50})
    monkeypatch.setattr(import_files, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(ValueError, match="unpacks to more than 0 MB.*SPM_MAX_UNPACKED_MB"):
        import_files.expand([archive], tmp_path / "scratch")
    monkeypatch.setattr(import_files, "MAX_UNPACKED_BYTES", 2**30)
    monkeypatch.setattr(import_files, "MAX_ROWS", 10)
    with pytest.raises(ValueError, match="more than 10 rows.*SPM_MAX_ROWS"):
        import_files.expand([archive], tmp_path / "scratch2")


def test_a_header_of_a_million_columns_is_refused_before_it_is_read(tmp_path):
    wide = tmp_path / "opportunities.csv"
    wide.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n")
    with pytest.raises(DataError, match="more than 5,000 columns"):
        read_raw(wide, "opportunities")
    huge = tmp_path / "reps.csv"
    huge.write_text("x" * 2_000_000 + "\n")
    with pytest.raises(DataError, match="characters"):
        read_raw(huge, "reps")
