"""The Parquet archive of every message the job reads (docs/archive.md): how data tools read it."""
