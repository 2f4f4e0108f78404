"""A run snapshot reads back the dataset it was written from: every table with its dtypes, the
quarantine, the warnings, the configuration and the fingerprint."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.snapshot import SNAPSHOT_FILE, is_snapshot, read_snapshot, write_snapshot
from spm_lib.exceptions import DataError
from spm_lib.importers import import_export
from tests.helpers import MAVEN_RAW, TEST_DATA


def _same(ds, back) -> None:
    assert list(back.tables) == list(ds.tables)
    for name, frame in ds.tables.items():
        pd.testing.assert_frame_equal(frame, back.tables[name], check_dtype=True)
    for name in ("quarantine", "warnings"):
        mine, theirs = getattr(ds, name).reset_index(drop=True), getattr(back, name)
        assert len(mine) == len(theirs)
        assert list(theirs["reason"]) == list(mine["reason"].astype(str))
        assert list(theirs["row"]) == list(mine["row"])
    assert back.config == ds.config and back.fingerprint == ds.fingerprint
    assert back.as_of == ds.as_of and back.rows_read == ds.rows_read and back.source == ds.source
    pd.testing.assert_frame_equal(back.reconciliation(), ds.reconciliation())


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    return import_export("maven", [MAVEN_RAW], tmp_path_factory.mktemp("maven") / "ds")


@pytest.fixture(scope="module")
def salesforce_mit(tmp_path_factory):
    raw = TEST_DATA / "salesforce-export-excel-mit"
    return import_export("salesforce", [raw], tmp_path_factory.mktemp("sf") / "ds")


@pytest.mark.parametrize("which", ["default_sample", "maven", "salesforce_mit"])
def test_a_snapshot_reads_back_what_was_loaded(which, request, tmp_path):
    ds = load_dataset(request.getfixturevalue(which))
    folder = write_snapshot(ds, tmp_path / "snap")
    assert is_snapshot(folder) and not is_snapshot(tmp_path)
    _same(ds, load_dataset(folder))  # load_dataset reads a snapshot as it is


def test_a_narrowed_dataset_is_written_whole_and_narrows_alike(default_sample, tmp_path):
    ds = load_dataset(default_sample)
    back = read_snapshot(write_snapshot(ds.narrow("region=West"), tmp_path / "snap"))
    _same(ds, back)
    west, again = ds.narrow("region=West"), back.narrow("region=West")
    pd.testing.assert_frame_equal(west.opportunities, again.opportunities)


def test_a_snapshot_refuses_another_config_and_another_format(small_sample, tmp_path):
    folder = write_snapshot(load_dataset(small_sample), tmp_path / "snap")
    with pytest.raises(DataError, match="carries the configuration"):
        load_dataset(folder, small_sample / "spm.yaml")
    meta = json.loads((folder / SNAPSHOT_FILE).read_text())
    (folder / SNAPSHOT_FILE).write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(DataError, match="snapshot of format 99"):
        load_dataset(folder)
