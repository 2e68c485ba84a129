"""The reading contract: parsing, validation, regions and the rejected record."""
