"""The attack run's remaining findings, each with its exact outcome: a sentence and exit 2 (never
a traceback), a quarantine with its reason, or a warning."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from spm_lib.dataset.vendors.objects import column, normalise, recognise
from spm_lib.exceptions import DataError
from tests.helpers import MAVEN_RAW, spm


def _copy(sample, tmp_path):
    data = tmp_path / "ds"
    shutil.copytree(sample, data)
    return data


def _refused(result, *words):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_a_duplicated_column_is_refused_not_resolved(small_sample, tmp_path):
    """The first of two columns of one name won, silently."""
    data = _copy(small_sample, tmp_path)
    text = (data / "reps.csv").read_text().splitlines()
    text[0] = text[0].replace("team", "region", 1)  # two columns named region
    (data / "reps.csv").write_text("\n".join(text) + "\n")
    _refused(spm("validate", str(data)), "two columns named 'region'", "reps.csv")


def test_a_field_spelt_two_ways_is_refused_only_where_it_is_read():
    frame = normalise(
        pd.DataFrame(
            {
                "StageName": ["A"],
                "stage_name": ["B"],
                "Id": ["1"],
                "NetSuite_Id__c": ["x"],
                "Netsuite_Id__c": ["y"],
            }
        ),
        "Opportunity.csv",
    )
    assert list(frame.columns) == ["id"]  # neither spelling is picked
    with pytest.raises(DataError, match="'StageName', 'stage_name' are one field"):
        column(frame, "stagename")
    with pytest.raises(DataError, match="Opportunity.csv"):
        recognise(frame, [("Opportunity", {"id", "stagename"})])
    assert recognise(frame, [("Other", {"id"})]) == "Other"  # the custom field is not read


def test_a_csv_saved_as_xlsx_is_a_sentence(small_sample, tmp_path):
    data = _copy(small_sample, tmp_path)
    (data / "reps.csv").rename(data / "reps.xlsx")
    _refused(spm("validate", str(data)), "not an Excel workbook", "reps.xlsx")


def test_validate_checks_the_commission_plans(small_sample, tmp_path):
    data = _copy(small_sample, tmp_path)
    ok = spm("validate", str(data))
    assert ok.returncode == 0 and "Commission plans: 2 valid" in ok.stdout
    config = (data / "spm.yaml").read_text()
    (data / "spm.yaml").write_text(config.replace("base_rate: 0.08", "base_rate: lots", 1))
    _refused(spm("validate", str(data)), "base_rate", "not a number")


def test_a_bad_as_of_and_a_binary_spm_yaml_exit_2(small_sample, tmp_path):
    data = _copy(small_sample, tmp_path)
    config = (data / "spm.yaml").read_text()
    (data / "spm.yaml").write_text(config.replace("as_of: '2026-09-30'", "as_of: '9999-12-31'"))
    _refused(
        spm("run", "--data", str(data), "--out", str(tmp_path / "out"), "--quiet"),
        "as_of",
        "between 1900 and 2200",
    )
    (data / "spm.yaml").write_bytes(bytes(range(256)) * 4)
    _refused(spm("validate", str(data)), "not UTF-8")


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KB file system (tmpfs), where the machine lets us mount one."""
    where = tmp_path / "full"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip("cannot mount a small tmpfs here (not root?)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True, check=False)


def test_a_full_disk_is_a_sentence_and_exit_2(full_disk, small_sample):
    _refused(spm("sample-data", "--out", str(full_disk / "sample")), "No space left")
    _refused(
        spm("import", "--from", "maven", "--out", str(full_disk / "maven"), str(MAVEN_RAW)),
        "No space left",
    )
    _refused(
        spm(
            "run",
            "--data",
            str(small_sample),
            "--out",
            str(full_disk / "reports"),
            "--notebooks",
            "data_quality",
            "--quiet",
        ),
        "cannot write",
    )
