"""Hierarchies as orgs build them: a role tree of any depth, levels chosen in spm.yaml.

An importer that reads a role tree writes each rep's ``role_path``: the roles from the top of
the tree down to the rep's own, joined by :data:`SEPARATOR` (``CEO > VP Americas > MX Country
manager > MX Sales``). spm.yaml ``hierarchy: {region: 2, team: 3}`` makes level 2 the region
and level 3 the team (1 = the top role); a rep whose path does not reach a level has none (the
reports group such reps as ``(no region)`` / ``(no team)``).
"""

from __future__ import annotations

import pandas as pd

SEPARATOR = " > "


def role_paths(role_ids: pd.Series, names: pd.Series, parents: pd.Series) -> pd.Series:
    """Each role id's path from the top of the tree (``names`` and ``parents`` indexed by role
    id); a cycle or a parent that does not exist ends the walk."""
    paths: dict[str, str] = {}
    for role in pd.Series(names.index).dropna().unique():
        chain, seen, at = [], set(), role
        while isinstance(at, str) and at in names.index and at not in seen:
            seen.add(at)
            chain.append(str(names[at]))
            at = parents.get(at)
        paths[role] = SEPARATOR.join(reversed(chain))
    return role_ids.map(paths)


def apply_levels(reps: pd.DataFrame, levels: dict[str, int]) -> pd.DataFrame:
    """``reps`` with ``region`` and ``team`` taken from the levels of ``role_path``."""
    if not levels or "role_path" not in reps or reps["role_path"].isna().all():
        return reps
    parts = reps["role_path"].astype("str").str.split(SEPARATOR, regex=False)
    parts = parts.where(reps["role_path"].notna())
    out = reps.copy()
    for column, level in levels.items():
        value = parts.map(
            lambda p, n=level: p[n - 1] if isinstance(p, list) and len(p) >= n else None
        )
        out[column] = value.astype("object").where(value.notna(), None)
    return out
