"""What the display helpers of one notebook share: the currency of the dataset on show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReportContext:
    currency: str = "USD"


CONTEXT = ReportContext()
