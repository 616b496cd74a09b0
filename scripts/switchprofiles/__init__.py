# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/switch-profiles: the built-in switch profiles, generated from githedgehog/fabric's Go source.

``golit`` reads Go package-level values, ``upstream`` finds the profiles at
the pinned tags, ``render`` writes them as a Python module of literals.
"""

from __future__ import annotations

from .render import render
from .upstream import PINS, read_all


def generate(open_tree, pins=PINS):
    """The data module's text from the source trees ``open_tree(pin)`` gives for the pinned tags."""
    profiles, origins = read_all(open_tree, pins)
    return render(pins, profiles, origins)
