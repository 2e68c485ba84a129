"""A reconciliation as an operator reads it (aligned text) or a script does (JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict

from query.text_tables import aligned
from reconcile.accounting import HourAccount, Reconciliation
from results.hours import hour_text

HOUR_COLUMNS = (
    "Hour (UTC)", "Messages", "Rejected", "Superseded", "Late", "Winners", "Hourly table", "History table", "Balanced",
)  # fmt: skip
REJECTION_COLUMNS = ("Reason", "Readings topic", "Job records", "Ingest records")


def verdict(balanced: bool) -> str:
    return "yes" if balanced else "NO"


def hour_line(item: HourAccount) -> list[str]:
    numbers = (item.messages, "-", item.superseded, item.late, item.winners, item.hourly, item.history)
    return [hour_text(item.hour), *map(str, numbers), verdict(item.balanced)]


def hour_table(report: Reconciliation) -> str:
    """One line per hour, then the rejected messages (they have no hour), then the total."""
    lines = [hour_line(item) for item in report.hours]
    totals = report.totals
    if report.rejections:
        matched = all(item.topic == item.job for item in report.rejections)
        lines.append(["rejected", str(totals.rejected), str(totals.rejected), *["-"] * 5, verdict(matched)])
    numbers = (totals.messages, totals.rejected, totals.superseded, totals.late, totals.winners, totals.hourly, totals.history)
    lines.append(["total", *map(str, numbers), verdict(report.balanced)])
    return aligned(HOUR_COLUMNS, lines)


def rejection_table(report: Reconciliation) -> str:
    lines = [[item.reason, str(item.topic), str(item.job), str(item.ingest)] for item in report.rejections]
    return aligned(REJECTION_COLUMNS, lines)


def problem_lines(report: Reconciliation) -> list[str]:
    return [f"  {hour_text(item.hour)}  {problem}" for item in report.hours for problem in item.problems] + [
        f"  {'no hour':16}  {problem}" for problem in report.problems
    ]


def summary(report: Reconciliation) -> str:
    """The verdict in one sentence: the identity when it holds, the hours to look at when not."""
    t = report.totals
    if report.balanced:
        return (
            f"balanced: {t.messages} messages = {t.rejected} rejected + {t.superseded} superseded + {t.late} late"
            f" + {t.winners} winners, and both tables count the {t.winners} winners"
        )
    reasons = []
    if report.unbalanced_hours:
        reasons.append(f"unbalanced hours: {', '.join(hour_text(hour) for hour in report.unbalanced_hours)}")
    if report.problems:
        reasons.append(f"problems outside any hour: {len(report.problems)}")
    return f"NOT balanced: {'; '.join(reasons)}"


def report_text(report: Reconciliation, run: Mapping[str, str]) -> str:
    """The whole report: which run, the hours, the rejections by reason, the dead letters, the problems, the verdict."""
    t = report.totals
    parts = [
        f"Reconciliation of {run['readings_topic']} with keyspace {run['keyspace']}"
        f" (rejected: {run['rejected_topic']}, late: {run['late_topic']})",
        hour_table(report),
    ]
    if report.rejections:
        parts.append(rejection_table(report))
    dead_letters = f"Late topic: {t.late_records} records, {t.late} matched to a message."
    if report.rejections:
        dead_letters += (
            f"\nRejected topic: {t.rejected_job_records} records of stage job, "
            f"{t.rejected_ingest_records} of stage ingest (never in {run['readings_topic']})."
        )
    parts.append(dead_letters)
    problems = problem_lines(report)
    if problems:
        parts.append("\n".join(["Problems:", *problems]))
    parts.append(summary(report))
    return "\n\n".join(parts)


def report_json(report: Reconciliation, run: Mapping[str, str]) -> str:
    """The same facts for scripts; hours are ISO-8601 UTC hour starts."""
    return json.dumps(
        {
            "run": dict(run),
            "balanced": report.balanced,
            "unbalanced_hours": [hour.isoformat() for hour in report.unbalanced_hours],
            "totals": report.totals._asdict(),
            "hours": [
                {**asdict(item), "hour": item.hour.isoformat(), "balanced": item.balanced} for item in report.hours
            ],
            "rejections": [asdict(item) for item in report.rejections],
            "problems": list(report.problems),
        },
        ensure_ascii=False,
        indent=2,
    )
