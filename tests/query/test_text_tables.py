"""The brief's table for an hour and a region's history, as text."""

from __future__ import annotations

from query.text_tables import history_table, hour_table, temperature
from tests.query.rows import HISTORY_ROWS, HOUR, HOUR_ROWS


def test_the_hour_table_has_the_briefs_columns_sorted_by_region() -> None:
    assert hour_table(HOUR, HOUR_ROWS) == (
        "Mean temperature by region, 1999-12-31 23:00 UTC\n"
        "\n"
        "Region         MeanTemperature  Temperature3HoursAgo  Readings\n"
        "-------------  ---------------  --------------------  --------\n"
        "Bretagne                 10.50                 -1.25         2\n"
        "Île-de-France             9.12                  8.50        12\n"
        "Occitanie                14.00                     -         3"
    )


def test_the_history_table_keeps_the_newest_first() -> None:
    assert history_table("Corse", HISTORY_ROWS) == (
        "Corse, the 2 most recent hours with readings\n"
        "\n"
        "Hour (UTC)        MeanTemperature  Temperature3HoursAgo  Readings\n"
        "----------------  ---------------  --------------------  --------\n"
        "1999-12-31 23:00            18.00                 15.00         4\n"
        "1999-12-31 22:00            17.00                     -         1"
    )


def test_temperatures_have_two_decimals_and_a_dash_for_none() -> None:
    assert [temperature(v) for v in (0.005, -3.0, None)] == ["0.01", "-3.00", "-"]
