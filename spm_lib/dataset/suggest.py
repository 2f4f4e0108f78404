"""What to write in spm.yaml when a required column is missing: a ``mapping`` snippet pairing
each missing column with the likeliest column found (synonyms, then string similarity)."""

from __future__ import annotations

import difflib

from spm_lib.dataset.schema import TABLES

SYNONYMS = {
    "opportunity_id": ["opportunity id", "deal id", "record id", "id", "opportunity"],
    "rep_id": ["owner", "opportunity owner", "deal owner", "sales agent", "rep", "user"],
    "account_id": ["account name", "account", "company", "account id"],
    "created_date": ["created date", "create date", "created", "engage date"],
    "close_date": ["close date", "closed date", "closing date"],
    "stage": ["stage", "deal stage", "status"],
    "amount": ["amount", "value", "deal amount", "close value"],
    "name": ["full name", "name", "user", "owner"],
}


def suggest_mapping(table: str, found: list[str]) -> str:
    """A ``mapping`` snippet for spm.yaml pairing the table's missing required columns with
    the likeliest of the columns found (synonyms, then string similarity)."""
    lines = ["mapping:", "  tables:", f"    {table}:", "      columns:"]
    lowered = {c.strip().lower(): c for c in found}
    for column in TABLES[table].required_columns:
        if column in found:
            continue
        guess = next((lowered[s] for s in SYNONYMS.get(column, []) if s in lowered), None)
        if guess is None:
            close = difflib.get_close_matches(
                column.replace("_", " "), list(lowered), n=1, cutoff=0.5
            )
            guess = lowered[close[0]] if close else None
        lines.append(
            f"        {column}: {guess!r}"
            if guess
            else f"        {column}: ???   # one of the columns above"
        )
    return "\n".join(lines)
