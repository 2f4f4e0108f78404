"""The dataset configuration read from ``spm.yaml``: what is not data.

Keys (all optional; defaults below):

```yaml
name: Acme CRM                 # what forwarded pages call the data (default: the folder's name)
currency: USD
fiscal_year_start_month: 1     # 1 = January; FYs are named by the calendar year they end in
as_of: 2026-09-30              # the snapshot's date; default: the latest created or modified
                               # date in the data (never a close date, which may be planned)
timezone: America/New_York     # timestamps with an offset are converted to this zone before
                               # they become dates; default: each keeps its own local date
number_format: "1.234,56"      # how files write numbers ("1,234.56", "1 234,56", ...);
                               # default: each column's own values decide (numbers.py)
stages:                        # ordered; exactly which are won and lost
  - Prospecting
  - Qualification
  - {name: Closed Won, won: true}
  - {name: Closed Lost, lost: true}
training_catalogue:            # module -> the stage or skill it builds
  Discovery Mastery: {stage: Discovery}
commission_plans: {...}        # read by the compensation report
mapping: {...}                 # column mappings for other exports
currency_rates: {EUR: 1.08}    # units of `currency` per unit of another (amounts converted)
database: {url: ..., tables: {...}}  # read the tables from a database instead of files
source: salesforce             # the tables are a vendor's objects (salesforce, hubspot)
imported_from: {...}           # written by `spm import`: what the import decided
hierarchy: {region: 2, team: 3}  # levels of the reps' role_path (1 = the top role) that are
                               # the region and the team (default: as the import chose)
planning:                      # the next period's targets (the planning report)
  target: {growth: 0.08}       # or an amount: target: 5000000
  cost_of_sales_target: 0.08   # commissions / bookings the rates are solved for
  reps_at_quota_target: 0.65   # optional: quotas solved for this share of reps at quota
```

Any other key is refused, naming the key and the closest known one (a typo such as
``curency`` would otherwise be ignored silently).
"""

from __future__ import annotations

import datetime as dt
import difflib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spm_lib.dataset.config_values import currency_code, parse_planning, parse_rates
from spm_lib.exceptions import DataError

COUNT_UNIT = "deals"  # ``currency: deals``: deals carry no money, each won deal counts 1


def _number_format(value: object, path: str | None) -> str:
    from spm_lib.dataset.numbers import number_format

    try:
        number_format(str(value))
    except ValueError as exc:
        raise DataError(
            f"{path}: {exc}",
            path=path,
            column="number_format",
            expected="1,234.56 or 1.234,56 (or 1 234,56)",
        ) from None
    return str(value).strip().replace("\u00a0", " ")


def _currency_setting(value: object, path: str | None) -> str:
    """spm.yaml ``currency``: an ISO 4217 code, or ``deals`` (:data:`COUNT_UNIT`)."""
    if str(value).strip().lower() == COUNT_UNIT:
        return COUNT_UNIT
    code = currency_code(value)
    if code is None:
        raise DataError(
            f"{path}: currency is {str(value)[:40]!r}; expected an ISO 4217 code such as USD or "
            f"EUR (three letters), or {COUNT_UNIT} when deals carry no amounts",
            path=path,
            column="currency",
            expected="three letters (ISO 4217) or deals",
        )
    return code


DEFAULT_STAGES: list[dict[str, Any]] = [
    {"name": "Prospecting"},
    {"name": "Qualification"},
    {"name": "Discovery"},
    {"name": "Proposal"},
    {"name": "Negotiation"},
    {"name": "Closed Won", "won": True},
    {"name": "Closed Lost", "lost": True},
]


@dataclass(frozen=True)
class Stage:
    """One stage of the sales funnel, in order."""

    name: str
    won: bool = False
    lost: bool = False

    @property
    def is_closed(self) -> bool:
        return self.won or self.lost


@dataclass(frozen=True)
class Config:
    """Parsed ``spm.yaml``."""

    currency: str = "USD"
    fiscal_year_start_month: int = 1
    as_of: dt.date | None = None
    timezone: str | None = None
    number_format: str | None = None  # see spm_lib.dataset.numbers
    stages: tuple[Stage, ...] = field(
        default_factory=lambda: tuple(Stage(**s) for s in DEFAULT_STAGES)
    )
    training_catalogue: dict[str, dict[str, Any]] = field(default_factory=dict)
    commission_plans: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, Any] = field(default_factory=dict)
    currency_rates: dict[str, float] = field(default_factory=dict)
    database: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    imported_from: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # what forwarded pages call the data
    planning: dict[str, Any] = field(default_factory=dict)  # see parse_planning
    hierarchy: dict[str, int] = field(default_factory=dict)  # see parse_hierarchy
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    @property
    def open_stages(self) -> list[str]:
        """Stages of an open opportunity, in funnel order."""
        return [s.name for s in self.stages if not s.is_closed]

    @property
    def won_stages(self) -> list[str]:
        return [s.name for s in self.stages if s.won]

    @property
    def lost_stages(self) -> list[str]:
        return [s.name for s in self.stages if s.lost]


def _parse_stage(item: Any, path: str) -> Stage:
    if isinstance(item, str):
        return Stage(name=item)
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        unknown = set(item) - {"name", "won", "lost"}
        if unknown:
            raise DataError(
                f"{path}: stage {item['name']!r} has unknown keys {sorted(unknown)}; "
                "expected only name, won, lost",
                path=path,
                expected="stage: {name, won, lost}",
            )
        flags = {}
        for flag in ("won", "lost"):
            value = item.get(flag, False)
            if not isinstance(value, bool):  # 'false' in quotes is text, and text is true
                raise DataError(
                    f"{path}: stage {item['name']!r} has {flag}: {value!r}; expected true or "
                    "false without quotes",
                    path=path,
                    column=f"stages.{flag}",
                    expected="true or false",
                )
            flags[flag] = value
        if flags["won"] and flags["lost"]:
            raise DataError(
                f"{path}: stage {item['name']!r} is marked both won and lost; "
                "a closed stage is one of them",
                path=path,
                column="stages",
                expected="won or lost, not both",
            )
        return Stage(name=item["name"], **flags)
    raise DataError(
        f"{path}: stages must be a list of names or {{name, won, lost}} mappings; got {item!r}",
        path=path,
        expected="stage name or {name, won, lost}",
    )


def parse_config(raw: dict[str, Any] | None, path: str = "spm.yaml") -> Config:
    """Build a Config from the mapping read from ``spm.yaml``; raise DataError when invalid.
    Each key is read by its parser in :func:`_settings` (in that order; a key that may be
    empty is left unset when it is), and a key no parser knows is refused with the nearest
    known key."""
    raw = dict(raw or {})
    kwargs: dict[str, Any] = {"raw": dict(raw)}
    for key, parse in _settings().items():
        if key not in raw:
            continue
        value = raw.pop(key)
        if value is None and key in MAY_BE_EMPTY:
            continue
        kwargs[key] = parse(value, path)
    if raw:
        key = sorted(raw, key=str)[0]
        close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"{path}: unknown key {key!r}{hint}. Known keys: {', '.join(KNOWN_KEYS)}",
            path=path,
            column=str(key),
            expected=" or ".join(KNOWN_KEYS),
        )
    return Config(**kwargs)


MAY_BE_EMPTY = ("as_of", "timezone", "number_format", "source")  # empty: unset


def _settings() -> dict[str, Callable[[Any, str], Any]]:
    """spm.yaml key -> its parser (value, path) -> the Config field's value."""
    return {
        "currency": _currency_setting,
        "fiscal_year_start_month": _fiscal_month,
        "as_of": _as_of,
        "timezone": _timezone,
        "number_format": _number_format,
        "stages": _stages,
        **{
            key: _section(key)
            for key in (
                "training_catalogue",
                "commission_plans",
                "mapping",
                "database",
                "imported_from",
            )
        },
        "currency_rates": parse_rates,
        "planning": parse_planning,
        "hierarchy": parse_hierarchy,
        "name": _name,
        "source": lambda value, path: str(value).strip().lower(),
    }


def _fiscal_month(month: Any, path: str) -> int:
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise DataError(
            f"{path}: fiscal_year_start_month is {month!r}; expected an integer 1..12",
            path=path,
            column="fiscal_year_start_month",
            expected="integer 1..12",
        )
    return month


def _as_of(as_of: Any, path: str) -> dt.date:
    try:
        day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
        if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
            raise ValueError("out of range")
    except ValueError as exc:
        raise DataError(
            f"{path}: as_of is {as_of!r}; expected a date YYYY-MM-DD between 1900 and 2200",
            path=path,
            column="as_of",
            expected="YYYY-MM-DD",
        ) from exc
    return day


def _timezone(value: Any, path: str) -> str:
    zone = str(value)
    try:
        zoneinfo.ZoneInfo(zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        raise DataError(
            f"{path}: timezone is {zone!r}; expected an IANA time zone such as "
            "America/New_York or UTC",
            path=path,
            column="timezone",
            expected="an IANA time zone",
        ) from exc
    return zone


def _stages(items: Any, path: str) -> tuple[Stage, ...]:
    if not isinstance(items, list) or not items:
        raise DataError(
            f"{path}: stages must be a non-empty list", path=path, expected="list of stages"
        )
    stages = tuple(_parse_stage(item, path) for item in items)
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise DataError(f"{path}: stage names repeat: {names}", path=path)
    folded = [n.strip().casefold() for n in names]
    if len(set(folded)) != len(folded):  # the loader matches stages ignoring case
        twins = sorted({n for n in names if folded.count(n.strip().casefold()) > 1})
        raise DataError(
            f"{path}: stages {twins} differ only by case or spaces; the data's "
            "stages are matched ignoring them, so they would be one stage",
            path=path,
            column="stages",
            expected="distinct stage names",
        )
    if not any(s.won for s in stages) or not any(s.lost for s in stages):
        raise DataError(
            f"{path}: stages need at least one stage marked won: true and one lost: true",
            path=path,
            expected="a won stage and a lost stage",
        )
    return stages


def _section(key: str) -> Callable[[Any, str], dict]:
    """A section that is a mapping (empty when left empty)."""

    def parse(value: Any, path: str) -> dict:
        value = value or {}
        if not isinstance(value, dict):
            raise DataError(f"{path}: {key} must be a mapping", path=path, column=key)
        return value

    return parse


def _name(named: Any, path: str) -> str:
    if not isinstance(named, str) or not named.strip():
        raise DataError(
            f"{path}: name must be a text, e.g. name: Acme CRM",
            path=path,
            column="name",
            expected="a text",
        )
    return named.strip()[:80]


KNOWN_KEYS = (
    "name",
    "currency",
    "fiscal_year_start_month",
    "as_of",
    "timezone",
    "number_format",
    "stages",
    "training_catalogue",
    "commission_plans",
    "mapping",
    "currency_rates",
    "database",
    "source",
    "imported_from",
    "planning",
    "hierarchy",
)


def parse_hierarchy(value: object, path: str = "spm.yaml") -> dict[str, int]:
    """``hierarchy``: which level of the reps' ``role_path`` (1 = the top role) is the region
    and which the team, e.g. ``{region: 2, team: 3}``; either may be left out."""
    if not isinstance(value, dict) or set(value) - {"region", "team"}:
        raise DataError(
            f"{path}: hierarchy must be a mapping such as {{region: 2, team: 3}} "
            "(levels of the role tree, 1 = the top role)",
            path=path,
            column="hierarchy",
            expected="{region: level, team: level}",
        )
    out = {}
    for key, level in value.items():
        if not isinstance(level, int) or isinstance(level, bool) or level < 1:
            raise DataError(
                f"{path}: hierarchy.{key} is {level!r}; expected a level 1, 2, ...",
                path=path,
                column=f"hierarchy.{key}",
                expected="a positive integer",
            )
        out[str(key)] = level
    return out
