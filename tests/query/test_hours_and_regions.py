"""What people type for an hour and a region."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from query.hours import parse_hour
from query.region_names import folded, official_region

H4 = datetime(2019, 4, 28, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2019-04-28 04", " 2019-04-28 04 ", "2019-04-28 04:00", "2019-04-28T04:00:00Z", "2019-04-28 04:00:00+0000",
     "2019-04-28T06:00+02:00"],
)
def test_hours_in_the_briefs_form_and_iso(text: str) -> None:
    assert parse_hour(text) == H4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-04-28", "is not an hour"),
        ("28/04/2019 04h", "is not an hour"),
        ("2019-04-28 25", "is not an hour"),
        ("2019-04-28 04:30", "is not the start of an hour"),
        ("2019-04-28T04:00:00.5", "is not the start of an hour"),
    ],
)
def test_what_is_not_an_hour_start_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hour(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [("Bretagne", "Bretagne"), ("ile-de-france", "Île-de-France"), ("  LA RÉUNION ", "La Réunion"),
     ("provence-alpes-cote d'azur", "Provence-Alpes-Côte d'Azur")],
)
def test_regions_forgive_case_accents_and_spaces(text: str, name: str) -> None:
    assert official_region(text) == name


def test_a_near_miss_gets_suggestions() -> None:
    with pytest.raises(ValueError, match=r"'reunion' is not a region of France; did you mean 'La Réunion'\?"):
        official_region("reunion")


def test_nonsense_gets_the_list_of_regions() -> None:
    with pytest.raises(ValueError, match=r"the regions are: Auvergne-Rhône-Alpes, .*Hauts-de-France, Île-de-France, La Réunion"):
        official_region("xyz")


def test_folded_sorts_accented_capitals_with_their_letter() -> None:
    expected = ["Hauts-de-France", "Île-de-France", "La Réunion"]
    assert sorted(["La Réunion", "Île-de-France", "Hauts-de-France"], key=folded) == expected
