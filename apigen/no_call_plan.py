"""How many requests of a run ask for no-call pairs, and which ones.

A model trained only on calls learns to always call; ``no_call`` requests ask for queries no offered
tool can serve. The rule between ``--styles`` and ``--no-call-share``:

* no_call pairs are planned only when ``no_call`` is among the styles; then ``no_call_share`` of the
  requests (so about that share of the pairs) are no_call, the rest spread over the other styles;
* the default style list holds all five styles, so a default run has 10 % no-call pairs;
* an explicit ``--styles`` list without ``no_call`` plans none, unless ``--no-call-share`` is given
  (> 0), which adds ``no_call`` to the list; a share of 0 disables no-call pairs;
* ``no_call`` as the only style plans only no-call requests.

Which requests are no-call is a function of ``(seed, index, share)`` alone (a seeded offset on an
evenly spaced grid: exactly floor or ceil of share x requests over the run, spread through it), so
a resumed run or another batch size plans the same requests.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

from apigen.models import Style


def resolve_styles(styles: Sequence[str] | None, share: float | None,
                   default_share: float = 0.1) -> tuple[list[str], float]:
    """The run's (styles, no_call_share) from the CLI: ``styles`` None when --styles was not given,
    ``share`` None when --no-call-share was not given."""
    listed = [s.value for s in Style] if styles is None else list(styles)
    if share is None:
        return listed, default_share
    if share > 0 and Style.NO_CALL.value not in listed:
        listed.append(Style.NO_CALL.value)
    return listed, share


def effective_share(styles: Sequence[Style], share: float) -> float:
    """The share of requests planned as no_call for this style list (see the module's rule)."""
    if Style.NO_CALL not in styles:
        return 0.0
    return 1.0 if all(s is Style.NO_CALL for s in styles) else share


def is_no_call_request(seed: int, index: int, share: float) -> bool:
    """Whether request ``index`` asks for no-call pairs: request i is one when the grid
    ``offset + i * share`` crosses an integer between i and i + 1."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    offset = random.Random(f"no_call:{seed}").random()
    return math.floor(offset + (index + 1) * share) > math.floor(offset + index * share)
