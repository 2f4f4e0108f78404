"""One encoding per file, decided once from its bytes and then read strictly.

In this order:

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-16 or UTF-32;
2. the encoding spm.yaml sets (``mapping.encoding``, or a table's);
3. UTF-16 without a mark (every other byte NUL in the first kilobytes: ASCII text as UTF-16);
4. UTF-8, when every byte decodes as UTF-8;
5. a file with no UTF-8 sequence at all (a legacy export): Windows-1252, else Latin-1;
6. a file with both UTF-8 text and bytes that are not UTF-8 (one stray Windows-1252 byte in a
   UTF-8 export): refused, naming the line and byte, never re-decoded as a whole in another
   encoding ("José" read as "JosÃ©").
"""

from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path

from spm_lib.exceptions import DataError

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PROBE = 4096
# a character beyond ASCII that UTF-8 decoded (not one of surrogateescape's stand-ins)
_DECODED_UTF8 = re.compile("[\u0080-\udc7f\udd00-\U0010ffff]")


def raw_bytes(path: Path) -> bytes:
    """The file's bytes (a ``.gz`` decompressed)."""
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


def file_encoding(path: Path, table: str, configured: str | None = None) -> str:
    """The encoding ``path`` is read with (module docstring); DataError for a mixed file or
    one that the configured encoding cannot decode."""
    data = raw_bytes(path)
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    if configured:
        _strict(data, configured, path, table, f"the encoding spm.yaml sets ({configured})")
        return configured
    head = data[:_PROBE]
    if len(head) >= 4:
        if head[1::2].count(0) > 0.9 * len(head[1::2]) and head[0::2].count(0) == 0:
            return "utf-16-le"
        if head[0::2].count(0) > 0.9 * len(head[0::2]) and head[1::2].count(0) == 0:
            return "utf-16-be"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = data.decode("utf-8", errors="surrogateescape")  # bad bytes -> U+DC80..U+DCFF
    if _DECODED_UTF8.search(text):
        raise _mixed(data, first_bad, path, table)
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _strict(data: bytes, encoding: str, path: Path, table: str, what: str) -> None:
    try:
        data.decode(encoding)
    except LookupError:
        raise DataError(
            f"{path}: {what} is no encoding Python knows",
            table=table,
            path=str(path),
            expected="an encoding such as utf-8 or cp1252",
        ) from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}: line {line}, byte {exc.start}: {data[exc.start : exc.end]!r} cannot be "
            f"decoded with {what}",
            table=table,
            path=str(path),
            rows=[line],
            expected=f"text in {encoding}",
        ) from None


def _mixed(data: bytes, first_bad: int, path: Path, table: str) -> DataError:
    line = data.count(b"\n", 0, first_bad) + 1
    start = data.rfind(b"\n", 0, first_bad) + 1
    shown = data[start : first_bad + 12].decode("utf-8", errors="replace").strip()
    return DataError(
        f"{path}: line {line}, byte {first_bad}: {data[first_bad : first_bad + 1]!r} is not "
        f"UTF-8, but the file holds UTF-8 text elsewhere (near {shown[:60]!r}); a file has one "
        "encoding, so it is not read in another one. Re-export it as UTF-8, or set its "
        "encoding in spm.yaml (mapping: {encoding: cp1252})",
        table=table,
        path=str(path),
        rows=[line],
        expected="one encoding for the whole file",
    )
