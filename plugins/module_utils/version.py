# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, as galaxy.yml states it (a unit test holds the two together).

A run that finds another version on the fabric's record reconciles in full:
what an older version wrote may not be what this one would.
"""

from __future__ import annotations

COLLECTION_VERSION = "0.1.0"
