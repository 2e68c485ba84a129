"""The regions of France: exact, fast point lookup from official boundaries (docs/regions.md)."""

from geo.boundaries import REGION_NAMES
from geo.region_index import RegionIndex

__all__ = ["REGION_NAMES", "RegionIndex"]
