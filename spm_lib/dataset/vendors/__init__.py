"""Vendor objects to canonical tables: Salesforce (by API name) and HubSpot.

The loader reads them directly (``spm.yaml`` ``source:``, from a warehouse or a folder of
exports), and the importers behind ``spm import`` build on them for export files.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from spm_lib.dataset.vendors import hubspot, salesforce

# vendors whose objects the loader reads directly (spm.yaml `source:`), from a warehouse or a
# folder of exports: frames by name -> canonical tables and spm.yaml settings
VENDORS: dict[str, Callable[[dict[str, pd.DataFrame]], tuple[dict[str, pd.DataFrame], dict]]] = {
    "salesforce": salesforce.convert,
    "hubspot": hubspot.convert,
}
