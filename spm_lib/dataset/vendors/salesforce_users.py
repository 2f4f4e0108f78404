"""Salesforce users -> reps: people as the CRM has them.

A user's name is ``Name``, else ``FirstName LastName``. A **rep** is a user who owns an
opportunity (or a split of one), has a quota, or holds a selling role (a role some rep with a
deal or a quota holds) while active; automated, integration, login-only and non-standard users
never are. Users who are not reps but own records the tables reference (accounts, leads,
activities, deals) stay in ``reps`` with the role ``Non-seller``, so that what they own is
accounted for and never listed, counted or ranked; every other user is left out of ``reps``,
counted by reason in ``imported_from.people``.

Team and region come from the role tree (the user's role, and its parent), else from
Territory2, and ``Division`` overrides the region where it is filled.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from spm_lib.dataset.hierarchy import SEPARATOR, role_paths
from spm_lib.dataset.vendors.objects import (
    column,
    days,
    deleted,
    flags,
    left_out,
    superseded,
)

NON_SELLER = "Non-seller"  # spm_lib.dataset.NON_SELLER: not among the selling reps
SYSTEM = "an automated, integration or non-standard user"
IDLE = "inactive, owning no deal"
NOT_SELLING = "no deal, quota or selling role"
_SYSTEM_USER = re.compile(
    r"integration|automated|\bapi\b|system|chatter|guest|security|platform|bot\b", re.I
)
# profiles of users who do not sell (a profile name is the org's own; these are the standard)
_NON_SELLING_PROFILE = re.compile(
    r"system administrator|integration|read only|chatter|guest|api only|partner|customer|"
    r"analytics cloud|identity",
    re.I,
)


def _one(objects: dict, name: str) -> pd.DataFrame | None:
    frames = objects.get(name)
    return pd.concat(frames, ignore_index=True) if frames else None


def user_names(u: pd.DataFrame) -> pd.Series:
    """``Name``, else ``FirstName LastName``, row by row."""
    full = (
        column(u, "firstname").fillna("").astype("str")
        + " "
        + column(u, "lastname").fillna("").astype("str")
    ).str.strip()
    name = column(u, "name")
    name = name.where(name.notna() & name.astype("str").str.strip().ne(""), full)
    return name.where(name.astype("str").ne(""), u["id"])


def _territories(u: pd.DataFrame, objects: dict) -> tuple[pd.Series, pd.Series] | None:
    """Each user's first territory (Territory2 by UserTerritory2Association) and its parent."""
    links, areas = _one(objects, "UserTerritory2Association"), _one(objects, "Territory2")
    if links is None or areas is None:
        return None
    links = links[~deleted(links)].drop_duplicates("userid")
    key = areas["id"].to_numpy()
    names = pd.Series(column(areas, "name").to_numpy(), index=key)
    parents = pd.Series(column(areas, "parentterritory2id").to_numpy(), index=key)
    first = pd.Series(links["territory2id"].to_numpy(), index=links["userid"].to_numpy())
    area = u["id"].map(first)
    return area.map(names), area.map(parents).map(names)


def _places(u: pd.DataFrame, names: pd.Series, roles: pd.DataFrame | None, objects: dict):
    """Manager, team and region of each user, and what each came from."""
    used: dict[str, str] = {}
    manager = column(u, "managerid").map(names)
    role_id = column(u, "userroleid")
    team = region = path = pd.Series(None, index=u.index, dtype="object")
    if roles is not None:
        roles = roles[~deleted(roles)].drop_duplicates("id")
        role_name = pd.Series(column(roles, "name").to_numpy(), index=roles["id"].to_numpy())
        parent = pd.Series(column(roles, "parentroleid").to_numpy(), index=roles["id"].to_numpy())
        path = role_paths(role_id, role_name, parent)
        depth = int(path.dropna().str.count(SEPARATOR).max() + 1) if path.notna().any() else 0
        used["hierarchy"] = (
            f"the role tree is {depth} levels deep; team: the user's own role, "
            "region: its parent (spm.yaml hierarchy: {region: N, team: M} "
            "picks other levels of role_path)"
        )
        team = role_id.map(role_name)
        used["team"] = "UserRole.Name"
        by_role = pd.Series(names.to_numpy(), index=role_id.to_numpy())
        by_role = by_role[by_role.index.notna()]
        single = by_role.groupby(level=0).agg(lambda s: s.iloc[0] if len(s) == 1 else None)
        from_hierarchy = role_id.map(parent).map(single)
        if manager.isna().any() and from_hierarchy.notna().any():
            manager = manager.fillna(from_hierarchy)
            used["manager"] = "User.ManagerId, else the one user of the parent role"
        region = role_id.map(parent).map(role_name)
        used["region"] = "the parent role's name (UserRole.ParentRoleId)"
    used.setdefault("manager", "User.ManagerId")
    territory = _territories(u, objects)
    if territory is not None and territory[0].notna().any() and team.isna().all():
        team, used["team"] = territory[0], "Territory2.Name (UserTerritory2Association)"
        region, used["region"] = territory[1], "the parent territory's name"
    if column(u, "division").notna().any():
        region = column(u, "division").where(column(u, "division").notna(), region)
        used["region"] = "User.Division" + (", else the parent role" if roles is not None else "")
    return manager, team, region, path, used


def _system(u: pd.DataFrame, name: pd.Series, objects: dict, used: dict) -> pd.Series:
    """Automated, integration, login-only and non-standard users."""
    user_type = column(u, "usertype").astype("str").where(column(u, "usertype").notna())
    label = name.astype("str") + " " + column(u, "username").fillna("").astype("str")
    system = label.str.contains(_SYSTEM_USER, na=False) | (
        user_type.notna() & user_type.str.casefold().ne("standard")
    )
    profiles = _one(objects, "Profile")
    if profiles is not None and "profileid" in u:
        names_of = pd.Series(column(profiles, "name").to_numpy(), index=profiles["id"].to_numpy())
        system |= u["profileid"].map(names_of).str.contains(_NON_SELLING_PROFILE, na=False)
        used["non_sellers"] = "UserType, IsActive, Profile.Name and the user's name"
    return system


def users_to_reps(
    u: pd.DataFrame, objects: dict, sellers: set[str], owners: set[str], notes: list[str]
) -> tuple[pd.DataFrame, dict, dict]:
    """reps from User (module docstring). ``sellers``: ids that own a deal or a split or have
    a quota; ``owners``: ids any table references. Returns the reps, what team, region and
    manager came from, and the people summary for ``imported_from``."""
    roles = _one(objects, "UserRole")
    ids = u["id"].astype("str")
    name = user_names(u)
    manager, team, region, path, used = _places(
        u, pd.Series(name.to_numpy(), index=ids.to_numpy()), roles, objects
    )
    system = _system(u, name, objects, used)
    active = flags(column(u, "isactive"))
    role_id = column(u, "userroleid")
    sells = ids.isin(sellers) & ~system
    selling_roles = set(role_id[sells].dropna())
    rep = sells | (role_id.isin(selling_roles) & active.ne("false") & ~system)
    live = ~(deleted(u) | superseded(u))
    if not (rep & live).any():  # no live user owns a deal: ownership does not resolve
        rep = active.ne("false") & ~system
        notes.append(
            "no user in the User export owns a deal, a split or a quota: every "
            "active standard user is kept as a rep"
        )
    # rows deleted at the source or superseded stay, for the loader to quarantine and count
    kept = rep | ids.isin(owners) | ~live
    reason = pd.Series(
        np.where(system, SYSTEM, np.where(active.eq("false"), IDLE, NOT_SELLING)), index=u.index
    ).where(~rep)
    role = team.where(team.notna(), None).where(rep, NON_SELLER)
    ended = active.eq("false") & rep
    end = days(column(u, "lastmodifieddate", "systemmodstamp")).where(ended)
    if ended.any():
        notes.append(
            f"{int(ended.sum())} inactive users own deals: their end_date is the day "
            "their user record was last modified (Salesforce keeps no leaving date)"
        )
    reps = pd.DataFrame(
        {
            "rep_id": u["id"],
            "name": name,
            "manager": manager,
            "team": team,
            "region": region,
            "role": role,
            "role_path": path,
            "hire_date": None,
            "end_date": end.dt.strftime("%Y-%m-%d").where(end.notna(), None),
            "user_type": column(u, "usertype"),
            "is_active": active,
        }
    )
    reps = left_out(u, reps)
    people = {
        "users": len(u),
        "reps": int((rep & live).sum()),
        "non_sellers_kept": int((kept & ~rep).sum()),
        "left_out": {r: int(n) for r, n in reason[~kept].value_counts().sort_index().items()},
        "non_sellers_kept_by_reason": {
            r: int(n) for r, n in reason[kept & ~rep].value_counts().sort_index().items()
        },
    }
    if (~rep).any():
        notes.append(
            f"{int((~rep).sum())} of {len(u)} users are not reps: "
            f"{people['non_sellers_kept']} kept as {NON_SELLER} because records "
            f"refer to them, {int((~kept).sum())} left out ("
            + ", ".join(f"{n} {r}" for r, n in people["left_out"].items())
            + ")"
        )
    return reps[kept.to_numpy()].reset_index(drop=True), used, people
