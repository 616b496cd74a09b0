# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Python's cycle collector, held off while a run builds and compares its state.

A run of a big fabric makes millions of small dicts, lists and records (the
parsed source, the desired state, NetBox's rows). None of them needs the cycle
collector: reference counting frees them. The collector still scans them, more
often the more there are, and on a fabric of 9,250 objects that scanning was a
third of the time spent turning the source into the desired state. So it is
held off for the run. What survives the run is frozen (``gc.freeze``), so no
later collection scans it either.

The only cycles a run was found to leave are the /31 and /32 networks of the
standard ``ipaddress`` module (each keeps a bound method of its own), about
18,000 small objects on that fabric. A module's process ends with its run; a
process that makes many runs keeps those few frozen.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_held():
    """Hold off the cycle collector for the block; a block inside another one changes nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
