"""Region names as people type them: forgiving case and accents, sorted as a French reader expects."""

from __future__ import annotations

import difflib
import unicodedata

from geo import REGION_NAMES


def folded(name: str) -> str:
    """``'Île-de-France'`` -> ``'ile-de-france'``: for matching and for sorting Î with the I's."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_BY_FOLDED = {folded(name): name for name in REGION_NAMES}


def official_region(text: str) -> str:
    """The official name (docs/contract.md §4.2) that ``text`` means, or ValueError with suggestions."""
    try:
        return _BY_FOLDED[folded(text)]
    except KeyError:
        close = difflib.get_close_matches(folded(text), _BY_FOLDED, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(_BY_FOLDED[c]) for c in close)}?" if close else (
            f"the regions are: {', '.join(sorted(REGION_NAMES, key=folded))}"
        )
        raise ValueError(f"{text!r} is not a region of France; {hint}") from None
