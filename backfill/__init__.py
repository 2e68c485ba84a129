"""``iot-backfill``: recompute old hours by replaying the archive through the same job, bounded (docs/archive.md)."""
