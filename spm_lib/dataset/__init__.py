"""The dataset stage: from files, a folder or a database to a validated :class:`Dataset`.

Its face is :func:`load_dataset` and :class:`Dataset`; inside, one module per step of the load:
``config`` (spm.yaml), ``schema`` (the canonical tables), ``readers`` (files to typed columns),
``mapping`` (a CRM's names to ours), ``database`` (a SQL source), ``vendors`` (Salesforce and
HubSpot objects), ``row_warnings`` (odd but real rows), ``load`` (validation and quarantine)
and ``container`` (the :class:`Dataset`).
"""

from spm_lib.dataset.config import Config
from spm_lib.dataset.container import (
    ALL_AUDIENCE,
    LEAD_DEVELOPMENT_ROLES,
    NON_SELLER,
    NOT_SELLING_ROLES,
    QUARANTINE_COLUMNS,
    Dataset,
)
from spm_lib.dataset.database import masked, password_of
from spm_lib.dataset.load import fingerprint_files, load_dataset, stage_entries

__all__ = [
    "ALL_AUDIENCE",
    "LEAD_DEVELOPMENT_ROLES",
    "NON_SELLER",
    "NOT_SELLING_ROLES",
    "QUARANTINE_COLUMNS",
    "Config",
    "Dataset",
    "fingerprint_files",
    "load_dataset",
    "masked",
    "password_of",
    "stage_entries",
]
