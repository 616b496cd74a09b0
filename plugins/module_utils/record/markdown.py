# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from the fabric written where NetBox renders Markdown (journal entries, long text fields).

Object names and causes come from CRDs that anyone allowed to edit the fabric wrote:
unescaped, ``[text](url)`` becomes a link and ``![x](url)`` an image every viewer's
browser fetches. Escaping makes them read as typed; readers of the record undo it.
"""

from __future__ import annotations

import re

SPECIAL = "\\`*_{}[]()<>#+!|~"
_ESCAPED = re.compile(r"\\([%s])" % re.escape(SPECIAL))


def escape(text):
    return "".join("\\" + char if char in SPECIAL else char for char in str(text))


def unescape(text):
    return _ESCAPED.sub(r"\1", str(text))
