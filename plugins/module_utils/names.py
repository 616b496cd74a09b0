# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for a fabric's name.

A fabric's name becomes part of file names (the metrics file, the cron entry,
the wrapper's stamp, lock and log files), of a cron line and of AWX object
names, so it is checked once, here, by the module and (through the
``fabric_name_problem`` filter) by the roles and playbooks.
"""

from __future__ import annotations

import re

# A DNS label's length: short enough for every name built from it (file names,
# NetBox's 100-character names, AWX's schedule names) with room for prefixes.
FABRIC_NAME_MAX_LENGTH = 63
# fullmatch, never a pattern ending in "$": "$" also matches before a final
# newline, and "vlab\n" would split the cron line it is written into.
_FABRIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def fabric_name_problem(name) -> str:
    """Why ``name`` cannot name a fabric, or "" when it can."""
    if not isinstance(name, str) or not name:
        return "a fabric name is required (got %r)" % (name,)
    if len(name) > FABRIC_NAME_MAX_LENGTH:
        return "fabric name %r is %d characters long; at most %d are allowed" % (
            name, len(name), FABRIC_NAME_MAX_LENGTH)
    if not _FABRIC_NAME.fullmatch(name):
        return ("fabric name %r may hold only letters, digits, '.', '_' and '-', and must start with a letter or "
                "a digit" % (name,))
    return ""
