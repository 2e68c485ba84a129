"""The map of an hour: the colour scale, the fills, and a PNG that opens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import matplotlib.image
import pytest

from query.france_map import NO_DATA, OVERSEAS, colour_scale, draw_hour_map, fill, mean_text
from tests.query.rows import HOUR, HOUR_ROWS, row


def test_the_scale_spans_the_hours_means() -> None:
    scale = colour_scale([4.0, 20.0, 12.0])
    assert scale is not None and (scale.vmin, scale.vmax) == (4.0, 20.0)


def test_the_scale_is_at_least_a_degree_wide() -> None:
    scale = colour_scale([12.0])
    assert scale is not None and (scale.vmin, scale.vmax) == (11.5, 12.5)


def test_no_data_means_no_scale_and_grey() -> None:
    assert colour_scale([]) is None
    assert fill("Corse", {}, None) == NO_DATA
    assert fill("Corse", {"Bretagne": 3.0}, colour_scale([3.0])) == NO_DATA
    assert fill("Bretagne", {"Bretagne": 3.0}, colour_scale([3.0])) != NO_DATA


def test_labels_say_the_mean_or_no_data() -> None:
    assert (mean_text(12.345), mean_text(None)) == ("12.3 °C", "no data")


@pytest.mark.parametrize("rows", [HOUR_ROWS + [row(OVERSEAS[0], 27.0, 5)], []], ids=["some regions", "no data"])
def test_the_map_is_a_png(tmp_path: Path, rows: list) -> None:
    path = tmp_path / "map.png"
    draw_hour_map(HOUR, rows, path)
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 800 and image.shape[1] > 1000


def test_the_map_goes_to_exactly_its_path_even_for_the_last_hour_of_the_calendar(tmp_path: Path) -> None:
    last_hour = datetime(9999, 12, 31, 23, tzinfo=UTC)  # its end, 1 h later, is not a datetime
    path = tmp_path / "map.PNG"
    draw_hour_map(last_hour, [], path)
    assert list(tmp_path.iterdir()) == [path] and path.read_bytes().startswith(b"\x89PNG")


def test_a_map_that_cannot_be_put_in_place_leaves_nothing_behind(tmp_path: Path) -> None:
    taken = tmp_path / "map.png"
    taken.mkdir()  # the name is a folder: the image is drawn, then cannot replace it
    with pytest.raises(OSError):
        draw_hour_map(HOUR, HOUR_ROWS, taken)
    assert list(tmp_path.iterdir()) == [taken] and not any(taken.iterdir())
