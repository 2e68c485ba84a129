"""The local Prometheus's configuration: monitoring/prometheus.yml and alerts.yml, with shorter ``for:``.

Production's rules wait minutes before firing; on a developer's machine (and in the fault test)
an alert should fire within seconds of its condition, so every rule's ``for:`` is replaced by one
short duration. Expressions and thresholds stay production's.

    python -m monitoring.local_config OUTPUT_DIR [--for 10s]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def with_short_for(rules: dict[str, Any], duration: str) -> dict[str, Any]:
    """``rules`` (an alerts.yml document) with every alert's ``for`` set to ``duration``; recording rules untouched."""
    if not DURATION.match(duration):
        raise ValueError(f"{duration!r} is not a Prometheus duration such as 10s or 1m")
    groups = [{**group, "rules": [{**rule, "for": duration} if "alert" in rule else rule for rule in group["rules"]]}
              for group in rules["groups"]]
    return {**rules, "groups": groups}


def write_local_config(output: Path, duration: str) -> None:
    output.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "prometheus.yml", output / "prometheus.yml")
    rules = yaml.safe_load((HERE / "alerts.yml").read_text(encoding="utf-8"))
    text = "# Rendered by monitoring/local_config.py from monitoring/alerts.yml: edit that file.\n"
    (output / "alerts.yml").write_text(text + yaml.safe_dump(with_short_for(rules, duration), sort_keys=False),
                                       encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monitoring.local_config", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the folder Prometheus is started with")
    parser.add_argument("--for", dest="duration", default="10s", help="every alert's for: (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        write_local_config(args.output, args.duration)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
