# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switch profiles the controller ships, for wiring directories that do not carry them.

A live fabric's API holds its SwitchProfiles (the controller creates them); a
wiring directory written for ``hhfab`` usually does not, so the two profiles
seen most (the VLAB ``vs`` and the Dell S5248F-ON it is modelled on) are
built in. A profile found in the source always wins over these.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import parse_profile

_FEATURES = {"subinterfaces": True, "l2vni": True, "l3vni": True, "roce": True, "mclag": True, "eslag": True,
             "ecmpRoCEQPN": False}
_SFP28 = {"speed": {"default": "25G", "supported": ["10G", "25G"]}}
_QSFP28 = {"breakout": {"default": "1x100G", "supported": {
    "1x100G": {"offsets": ["0"]}, "1x40G": {"offsets": ["0"]}, "2x50G": {"offsets": ["0", "2"]},
    "1x50G": {"offsets": ["0"]}, "4x25G": {"offsets": ["0", "1", "2", "3"]},
    "4x10G": {"offsets": ["0", "1", "2", "3"]}, "1x25G": {"offsets": ["0"]}, "1x10G": {"offsets": ["0"]}}}}


def _s5248_ports(with_breakouts):
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for number in range(1, 49):
        ports["E1/%d" % number] = {"nos": "Ethernet%d" % (number - 1), "label": str(number),
                                   "group": str((number - 1) // 4 + 1)}
    if with_breakouts:
        for number in range(49, 57):
            ports["E1/%d" % number] = {"nos": "1/%d" % number, "baseNOSName": "Ethernet%d" % (48 + 4 * (number - 49)),
                                       "label": str(number), "profile": "QSFP28-100G"}
    return ports


def _profile(name, display, silicon, nos_type, platform, with_breakouts, acls):
    port_profiles = {"SFP28-25G": _SFP28}
    if with_breakouts:
        port_profiles["QSFP28-100G"] = _QSFP28
    return {
        "apiVersion": "wiring.githedgehog.com/v1beta1",
        "kind": "SwitchProfile",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "displayName": display,
            "switchSilicon": silicon,
            "features": dict(_FEATURES, acls=acls),
            "nosType": nos_type,
            "platform": platform,
            "ports": _s5248_ports(with_breakouts),
            "portGroups": dict((str(g), {"nos": str(g), "profile": "SFP28-25G"}) for g in range(1, 13)),
            "portProfiles": port_profiles,
        },
    }


BUILTIN_PROFILES = dict((obj["metadata"]["name"], parse_profile(obj)) for obj in (
    _profile("vs", "Virtual Switch", "VS", "sonic-bcm-vs", "x86_64-kvm_x86_64-r0", False, False),
    _profile("dell-s5248f-on", "Dell S5248F-ON", "Broadcom TD3-X7 3.2T", "sonic-bcm-base",
             "x86_64-dellemc_s5248f_c3538-r0", True, True),
))
