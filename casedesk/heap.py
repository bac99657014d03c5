"""The heap of a long-running process (workstation, worker, web): what start-up built is
taken out of the garbage collector's sight once it is built.

CPython's full collection walks every container object alive: after the imports and the
first screens a process holds ~100,000 of them (SQLAlchemy's and casedesk's classes,
compiled statements, translation catalogues) and one full pass stopped every thread of
the process for 40–100 ms: at a floor's pace (``bench/floor.py --think``, eight agents'
threads to a process) a new case's p99 was 226 ms, 24 ms with the heap frozen. ``gc.freeze()``
moves everything alive into a permanent generation that collections skip; what is made
later is collected as before.
"""

from __future__ import annotations

import gc

#: seconds after a workstation's first screen before its heap is settled
SETTLE_AFTER = 2.0


def settle() -> int:
    """Collect what start-up left behind, then freeze everything still alive; returns
    how many objects the collector no longer walks."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
