"""Bytes of the Parquet archive per message, measured on files the job committed.

    .venv/bin/python -m benchmarks.archive_size [--count 1000000] [--parallelism 2] [--checkpoint-seconds 10]

Pre-fills a fresh topic with ``--count`` valid readings (iot-loadgen's generator, event times over
24 hours, as ``benchmarks/job_throughput.py`` does), runs the job on it with checkpoints every
``--checkpoint-seconds`` (flink-conf's and the Kubernetes deployment's 10 s) into a fresh archive
directory of its own, and waits until Cassandra counts every reading and the archive's committed
files (``part-*``; not the hidden in-progress ones, which ``archive.reads`` skips) hold that many
messages. Any other count of archived messages fails the run. The figures: committed files, their
bytes (Parquet footers included, what a bucket bills), bytes per message, the JSON bytes per
message of the same messages (the archived payloads, which are the topic's values byte for byte)
and the ratio of the two. A file rolls at every checkpoint, so the rows per file, and with them
the compression, depend on the rate, the parallelism and the interval: the record keeps them.
Needs the local stack (make up).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.reads import archive_dataset
from benchmarks import records
from benchmarks.job_throughput import CountedReadings, prefill
from jobs.running_job import NotRunning
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for

WAIT_S = 900


@dataclass(frozen=True)
class CommittedFile:
    """One Parquet file of the archive that a checkpoint committed."""

    path: str
    bytes: int
    messages: int


def committed_files(archive: str | Path) -> list[CommittedFile]:
    """The files a reader of the archive sees (hidden in-progress files left out, as pyarrow does)."""
    return [CommittedFile(path, Path(path).stat().st_size, pq.ParquetFile(path).metadata.num_rows)
            for path in archive_dataset(archive).files]


def payload_bytes(archive: str | Path) -> int:
    """The bytes of every archived payload: the JSON values as the topic held them."""
    lengths = pc.binary_length(archive_dataset(archive).to_table(columns=["payload"])["payload"])
    return int(pc.sum(lengths).as_py() or 0)


def figures(files: list[CommittedFile], json_bytes: int, expected: int) -> dict:
    """The record's figures; a count of messages other than ``expected`` is an error, since bytes
    per message over a missing or doubled share would not be the archive's."""
    messages = sum(file.messages for file in files)
    if messages != expected:
        raise ValueError(f"the archive's committed files hold {messages:,} messages, not the {expected:,} sent")
    total = sum(file.bytes for file in files)
    return {
        "messages": messages,
        "files": len(files),
        "messages_per_file_mean": messages / len(files),
        "bytes": total,
        "bytes_per_message": total / messages,
        "json_bytes_per_message": json_bytes / messages,
        "compression_ratio": json_bytes / total,
    }


def archived_messages_count(archive: str | Path) -> int:
    return sum(file.messages for file in committed_files(archive))


def measure(count: int, parallelism: int, checkpoint_s: int) -> dict:
    run = PipelineRun.create("archive", checkpoint_interval_s=checkpoint_s)
    archive = run.settings.archive.path  # var/archive-runs/<run>: fresh, removed by run.drop()
    print(f"pre-filled {count:,} readings in {prefill(run, count):.0f} s", flush=True)
    counted = CountedReadings(run)
    try:
        run.submit(parallelism)
        wait_for(f"{count:,} readings counted in Cassandra", counted, lambda done: done >= count, WAIT_S)
        # A file is committed by the checkpoint after its last message: up to an interval later.
        wait_for(f"{count:,} messages in committed archive files", lambda: archived_messages_count(archive),
                 lambda archived: archived >= count, WAIT_S)
        run.cancel()  # nothing more is committed: the count below is final
        return figures(committed_files(archive), payload_bytes(archive), count)
    finally:
        counted.close()
        run.cancel()
        run.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="valid readings sent")
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--checkpoint-seconds", type=int, default=10, help="a file rolls at every checkpoint")
    records.add_name_option(parser, "archive_size")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    try:
        measured = measure(args.count, args.parallelism, args.checkpoint_seconds)
    except (NotRunning, ValueError) as error:
        sys.exit(f"archive_size.py: nothing recorded: {error}")
    print(f"{measured['messages']:,} messages in {measured['files']} committed files, {measured['bytes']:,} B: "
          f"{measured['bytes_per_message']:.1f} B per message against {measured['json_bytes_per_message']:.1f} B "
          f"of JSON ({measured['compression_ratio']:.2f} : 1)")
    records.write("archive_size", {"parallelism": args.parallelism, "checkpoint_seconds": args.checkpoint_seconds,
                                   **measured}, name=args.record)


if __name__ == "__main__":
    main()
