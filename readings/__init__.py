"""The reading contract (docs/contract.md §1 and §2), shared by the ingestion and the Flink job."""

from readings.model import Reading, Rejection
from readings.parser import ReadingParser, parse_reading
from readings.reasons import Reason
from readings.regions import locate_readings
from readings.rejected import rejection_record

__all__ = ["Reading", "ReadingParser", "Reason", "Rejection", "locate_readings", "parse_reading", "rejection_record"]
