"""The Python functions that run inside Flink's Python workers, each a thin shell over plain logic."""
