"""Every CRM format, one registry: :data:`VENDORS` names each format and how it becomes
canonical tables plus the ``spm.yaml`` settings it implies.

- ``files``: export files (``spm import --from NAME``): Salesforce's report layout or objects by
  API name (:mod:`.salesforce_reports`, :mod:`.salesforce`), HubSpot's deals export or a
  connector's objects (:mod:`.hubspot_exports`, :mod:`.hubspot`), Maven's CRM tables
  (:mod:`.maven`);
- ``objects``: frames by object name, which the loader reads directly from a warehouse or a
  folder of exports (``source: NAME`` in spm.yaml), for the vendors that have objects.

Converters rename and reshape; they never drop a row: rows the canonical model cannot use are
left for the loader to quarantine with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spm_lib.dataset.config import Config, parse_config
from spm_lib.dataset.vendors import (
    hubspot,
    hubspot_exports,
    maven,
    salesforce,
    salesforce_reports,
)
from spm_lib.exceptions import DataError

Converted = tuple[dict[str, pd.DataFrame], dict]  # canonical tables, spm.yaml settings


@dataclass(frozen=True)
class Vendor:
    """A CRM format: its export files to canonical tables and, where it has objects the loader
    reads directly, its objects to canonical tables."""

    name: str
    files: Callable[[list[Path]], Converted]
    objects: Callable[[dict[str, pd.DataFrame]], Converted] | None = None


VENDORS: dict[str, Vendor] = {
    vendor.name: vendor
    for vendor in (
        Vendor("salesforce", salesforce_reports.salesforce_files, salesforce.convert),
        Vendor("hubspot", hubspot_exports.hubspot_files, hubspot.convert),
        Vendor("maven", maven.convert),
    )
}

# the vendors whose objects spm.yaml's `source:` may name
OBJECT_SOURCES = {name: vendor.objects for name, vendor in VENDORS.items() if vendor.objects}


def vendor_tables(
    frames: dict[str, pd.DataFrame], config: Config
) -> tuple[dict[str, pd.DataFrame], Config]:
    """A vendor's objects (``source: salesforce`` or ``hubspot`` in spm.yaml) as canonical
    tables, and the configuration: what the objects say (stages, currency, rates, fiscal
    year), with every key that spm.yaml itself sets taking precedence, and the mapping rules of
    both (the adapter's exclusion of deleted rows and spm.yaml's ``where`` / ``exclude``)."""
    name = str(config.source)
    if name not in OBJECT_SOURCES:
        raise DataError(
            f"spm.yaml: source is {name!r}; expected one of {', '.join(OBJECT_SOURCES)}",
            column="source",
            expected=" or ".join(OBJECT_SOURCES),
        )
    tables, found = OBJECT_SOURCES[name](frames)
    user = {k: v for k, v in config.raw.items() if k not in ("database", "source")}
    merged = {**found, **user}
    rules = (found.get("mapping") or {}).get("tables") or {}
    for table, spec in ((user.get("mapping") or {}).get("tables") or {}).items():
        both = dict(rules.get(table) or {})
        for key, value in spec.items():
            both[key] = {**both.get(key, {}), **value} if key in ("where", "exclude") else value
        rules = {**rules, table: both}
    merged["mapping"] = {**(user.get("mapping") or {}), "tables": rules}
    merged["source"], merged["database"] = name, config.raw.get("database")
    return tables, parse_config(merged)
