# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fabric_name_problem
short_description: Why a string cannot name a Hedgehog fabric
version_added: 0.1.0
description:
  - Returns an empty string when the input can name a fabric, else a sentence that says why not.
  - A fabric name holds letters, digits, C(.), C(_) and C(-), starts with a letter or a digit and has at most
    63 characters; the whole string must match, so a trailing newline is refused.
  - It is the rule that M(hedgehog.netbox_sync.fabric_sync) applies to its O(hedgehog.netbox_sync.fabric_sync#module:fabric)
    option, used by the roles before they build file names, cron lines or AWX names from a fabric's name.
positional: _input
options:
  _input:
    description: The candidate name.
    type: raw
    required: true
author:
  - Hedgehog NetBox sync contributors (@githedgehog)
"""

EXAMPLES = r"""
- name: Refuse a host whose name cannot name a fabric
  ansible.builtin.assert:
    that: inventory_hostname | hedgehog.netbox_sync.fabric_name_problem == ''
    fail_msg: "{{ inventory_hostname | hedgehog.netbox_sync.fabric_name_problem }}"
"""

RETURN = r"""
_value:
  description: The problem with the name, or an empty string when there is none.
  type: str
"""

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.names import fabric_name_problem


class FilterModule:
    def filters(self):
        return {"fabric_name_problem": fabric_name_problem}
