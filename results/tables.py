"""The names of the two results tables and of their columns (the same columns in both)."""

from __future__ import annotations

# One table per query shape: an hour across regions, and a region across hours (newest first).
HOURLY_TABLE = "region_hourly_temperature"
HISTORY_TABLE = "region_temperature_history"
RESULT_TABLES = (HOURLY_TABLE, HISTORY_TABLE)

COLUMNS = ("hour", "region", "mean_temperature", "readings", "mean_temperature_3h_before", "updated_at")
