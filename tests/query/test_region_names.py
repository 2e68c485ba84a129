"""``--region``: a region's official name from what a person types, or suggestions."""

from __future__ import annotations

import pytest

from query.region_names import folded, official_region


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
