"""One encoding per file: a stray byte stops the file with its line and byte instead of
recoding it; UTF-16 is read; a legacy export is read whole in its encoding."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.encodings import file_encoding
from spm_lib.dataset.readers import read_raw
from spm_lib.exceptions import DataError
from tests.helpers import spm

HEADER = "rep_id,name\n"


def _write(path, text: str, encoding: str, tail: bytes = b""):
    path.write_bytes(text.encode(encoding) + tail)
    return path


@pytest.mark.parametrize(
    ("encoding", "written", "expected"),
    [
        ("utf-8", "utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le", "utf-16-le"),
        ("cp1252", "cp1252", "cp1252"),
    ],
)
def test_each_encoding_is_read_whole(tmp_path, encoding, written, expected):
    path = _write(tmp_path / "reps.csv", HEADER + "R1,José Müller\nR2,Zoë Ångström\n", written)
    assert file_encoding(path, "reps") == expected
    frame, detected = read_raw(path, "reps")
    assert frame["name"].tolist() == ["José Müller", "Zoë Ångström"]
    assert list(frame.columns) == ["rep_id", "name"] and detected["encoding"] == expected


def test_one_stray_byte_in_a_utf8_file_stops_it_with_line_and_byte(tmp_path):
    """The attack run: one Windows-1252 byte switched the whole file to Windows-1252, and
    "José Müller" became "JosÃ© MÃ¼ller", a phantom rep who took his 138 deals."""
    text = HEADER + "R1,José Müller\nR2,Bob\n"
    path = _write(tmp_path / "reps.csv", text, "utf-8", "R3,Ren\xe9\n".encode("cp1252"))
    with pytest.raises(DataError) as stopped:
        read_raw(path, "reps")
    message = str(stopped.value)
    bad_byte = len(text.encode("utf-8")) + len(b"R3,Ren")
    assert f"line 4, byte {bad_byte}" in message and "reps.csv" in message
    assert "b'\\xe9'" in message and "encoding" in message


def test_the_encoding_spm_yaml_sets_is_used_strictly(tmp_path, small_sample):
    data = tmp_path / "ds"
    shutil.copytree(small_sample, data)
    reps = pd.read_csv(data / "reps.csv", dtype=str, keep_default_na=False)
    reps.loc[0, "name"] = "José Müller"
    raw = reps.to_csv(index=False).encode("utf-8")
    (data / "reps.csv").write_bytes(raw)
    config = (data / "spm.yaml").read_text()
    (data / "spm.yaml").write_text(
        config + "\nmapping:\n  tables:\n    reps:\n      encoding: ascii\n"
    )
    result = spm("validate", str(data))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 2" in result.stderr and "ascii" in result.stderr
    (data / "spm.yaml").write_text(config)
    assert load_dataset(data)["reps"]["name"].iloc[0] == "José Müller"


def test_a_utf16_export_loads_like_its_utf8_original(tmp_path, small_sample):
    """UTF-16 was misdiagnosed as missing columns."""
    data = tmp_path / "ds"
    shutil.copytree(small_sample, data)
    for table in ("reps", "opportunities"):
        text = (data / f"{table}.csv").read_text(encoding="utf-8")
        (data / f"{table}.csv").write_bytes(text.encode("utf-16"))
    ds, original = load_dataset(data), load_dataset(small_sample)
    assert ds.rows_read == original.rows_read
    assert ds.opportunities["amount"].sum() == pytest.approx(original.opportunities["amount"].sum())
