"""The 51 jurisdictions graded: the 50 states and DC, from the `us` package."""

from __future__ import annotations

import us

_JURISDICTIONS = sorted([*us.states.STATES, us.states.DC], key=lambda s: s.abbr)

USPS_CODES: tuple[str, ...] = tuple(s.abbr for s in _JURISDICTIONS)
NAMES: dict[str, str] = {s.abbr: s.name for s in _JURISDICTIONS}


def usps_code(name_or_code: str) -> str | None:
    """USPS code for a state name or code (any case), or None if it is not one of the 51."""
    found = us.states.lookup(str(name_or_code).strip())
    return found.abbr if found is not None and found.abbr in NAMES else None
