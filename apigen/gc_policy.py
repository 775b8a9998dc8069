"""The garbage collector's settings in a process apigen's command line owns.

A run imports Prefect, litellm, pyarrow and datasketch: some 580,000 container objects that live
as long as the process. With CPython's default thresholds (700, 10, 10) the collector walks them
again and again. In a 2,000-pair ``generate`` at concurrency 32 (200 ms endpoint), collections held
the GIL for 3.0-3.4 s of a 24 s run, 2.3 s of it in 11 full ones. Each stalled every request in
flight; in a run of 8 pairs they were 1.6 s, a third of the start-up's CPU.

So, in a process whose entry point is apigen's CLI:

- the young generation is collected every 50,000 container allocations instead of 700, the older
  ones in proportion (``RUN_THRESHOLDS``);
- once the imports are loaded, ``freeze_loaded`` moves every live object to the permanent
  generation (``gc.freeze``), so later collections never walk the libraries again.

Cyclic garbage is still collected, only in larger, rarer sweeps. An object alive at a freeze is
exempt from cycle collection for good, which for module-level state changes nothing. What the
settings did to the run is measured by ``benchmarks/bench_generate.py`` (wall, span, CPU), and
``tests/test_generate_scale.py`` bounds the memory of a 60,000-pair run made through the CLI.
"""

from __future__ import annotations

import gc
import threading

RUN_THRESHOLDS = (50_000, 20, 100)

_owned = threading.Event()


def own_process() -> None:
    """Apply the run's thresholds: called once by the CLI's entry point (never when apigen is used as
    a library, whose host owns its collector)."""
    _owned.set()
    gc.set_threshold(*RUN_THRESHOLDS)


def freeze_loaded() -> None:
    """Exempt every object alive now (the imports done so far) from later collections; a no-op
    unless ``own_process`` ran. Cheap (it moves lists, walks nothing), so it is called after each
    large import: the Prefect flows, litellm on its background thread, a check worker's modules."""
    if _owned.is_set():
        gc.freeze()
