# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switch profiles for sources that do not carry them.

A live fabric's API holds its SwitchProfiles (the controller creates them); a
wiring directory written for ``hhfab`` does not. A switch whose profile the
source lacks takes it from the user's switch profile directory, else from the
built-in ones: every profile the supported Hedgehog releases ship, generated
from the fabric's own definitions into ``profile_catalog`` by
``scripts/switch-profiles``. A profile in the source always wins.
"""

from __future__ import annotations

import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError, SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject, name_of, parse_profile
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import files
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profile_catalog import PROFILES

KIND = "SwitchProfile"

BUILTIN_PROFILES = dict((name, parse_profile(obj)) for name, obj in PROFILES.items())


def _mode_count(mode):
    """4 of a breakout mode "4x25G", or None when the mode does not say."""
    count = mode.split("x", 1)[0]
    return int(count) if "x" in mode and count.isdigit() else None


def _as_dict(value):
    return value if isinstance(value, dict) else {}


def _port_profile_faults(name, port_profile):
    if not isinstance(port_profile, dict):
        return ["port profile %s is not a mapping" % name]
    faults = []
    speed, breakout = _as_dict(port_profile.get("speed")), _as_dict(port_profile.get("breakout"))
    if speed and speed.get("default") not in (speed.get("supported") or []):
        faults.append("port profile %s: default speed %s is not supported" % (name, speed.get("default")))
    supported = _as_dict(breakout.get("supported"))
    if breakout and breakout.get("default") not in supported:
        faults.append("port profile %s: default breakout %s is not supported" % (name, breakout.get("default")))
    for mode in sorted(supported):
        offsets = _as_dict(supported[mode]).get("offsets") or []
        count = _mode_count(mode)
        if count is not None and len(offsets) != count:
            faults.append("port profile %s: breakout %s has %d offset(s)" % (name, mode, len(offsets)))
    return faults


def _port_faults(profile, port):
    if port.management:
        return [] if port.nos else ["port %s has no NOS name" % port.name]
    faults = []
    if not port.nos and not port.base_nos:
        faults.append("port %s has neither a NOS name nor a base NOS name" % port.name)
    if port.group and port.group not in profile.port_groups:
        faults.append("port %s: port group %s does not exist" % (port.name, port.group))
    if port.profile and port.profile not in profile.port_profiles:
        faults.append("port %s: port profile %s does not exist" % (port.name, port.profile))
    if not port.group and not port.profile:
        faults.append("port %s has neither a port group nor a port profile" % port.name)
    return faults


def profile_faults(profile):
    """What makes a parsed SwitchProfile unusable: references that lead nowhere, breakouts that do not add up."""
    faults = []
    for group_name in sorted(profile.port_groups):
        used = _as_dict(profile.port_groups[group_name]).get("profile")
        if used not in profile.port_profiles:
            faults.append("port group %s: port profile %s does not exist" % (group_name, used))
    for name in sorted(profile.port_profiles):
        faults.extend(_port_profile_faults(name, profile.port_profiles[name]))
    for port_name in sorted(profile.ports):
        faults.extend(_port_faults(profile, profile.ports[port_name]))
    return faults


def _profiles_of_file(path, found, problems):
    """Add the SwitchProfiles of one file to ``found`` ({name: (profile, path)}); the bad ones to ``problems``."""
    try:
        objects = files.file_objects(path, lambda kind, name, cause: problems.append(Problem(kind, name, cause)))
    except SourceError as exc:
        problems.append(Problem(KIND, path, "cannot read the switch profile file: %s" % exc.message))
        return
    for obj in objects:
        if obj.get("kind") != KIND:
            continue
        name = name_of(obj)
        if not name:
            problems.append(Problem(KIND, "(unnamed)", "in %s: metadata.name is missing" % path))
            continue
        if name in found:
            problems.append(Problem(KIND, name, "in %s: also defined in %s, which is used" % (path, found[name][1])))
            continue
        try:
            profile = parse_profile(obj)
        except BadObject as exc:
            problems.append(Problem(KIND, name, "in %s: %s" % (path, exc)))
            continue
        faults = profile_faults(profile)
        if faults:
            problems.append(Problem(KIND, name, "in %s: %s" % (path, "; ".join(faults))))
            continue
        found[name] = (profile, path)


def read_profile_dir(directory, fabric=None):
    """The SwitchProfiles in a directory of YAML files, and the problems of the ones that cannot be used.

    Returns ({name: SwitchProfile}, [Problem]). Files may hold several
    documents and ``kind: List`` documents; other kinds are ignored. A profile
    that does not parse is skipped with a problem naming its file.
    """
    if not files.HAS_YAML:
        raise SourceError("PyYAML is required to read switch profiles", fabric=fabric)
    if not os.path.isdir(directory):
        raise ConfigError("switch profile directory %s does not exist" % directory, fabric=fabric)
    found, problems = {}, []
    for path in files.wiring_files(directory):
        _profiles_of_file(path, found, problems)
    return dict((name, profile) for name, (profile, _path) in found.items()), problems


def fallback_profiles(directory=None, fabric=None):
    """The profiles a switch falls back on when its source lacks its profile: the user's over the built-in ones.

    Returns ({name: SwitchProfile}, [Problem]).
    """
    if not directory:
        return BUILTIN_PROFILES, []
    users, problems = read_profile_dir(directory, fabric=fabric)
    profiles = dict(BUILTIN_PROFILES)
    profiles.update(users)
    return profiles, problems
