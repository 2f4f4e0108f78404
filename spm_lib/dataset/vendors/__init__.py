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

from spm_lib.dataset.vendors import (
    hubspot,
    hubspot_exports,
    maven,
    salesforce,
    salesforce_reports,
)

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
