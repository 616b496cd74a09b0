# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The switch profiles of githedgehog/fabric at the pinned tags, read from its Go source.

The controller creates its SwitchProfiles from Go struct literals in
``pkg/ctrl/switchprofile`` and lists them in slices of ``[]SwitchProfile``
(the catalog). Every profile in such a slice is read here and written as the
object the controller would serve: JSON names and omitempty from the struct
tags of ``api/wiring/v1beta1``, constants resolved from ``api/meta`` and the
profile package, ``metadata.namespace`` = default as the catalog sets it.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
import urllib.request
from collections import namedtuple

from .golit import GoError, Loader, to_json

REPOSITORY = "githedgehog/fabric"
PROFILE_PACKAGE = "pkg/ctrl/switchprofile"
WIRING_API = "api/wiring/v1beta1"
API_VERSION = "wiring.githedgehog.com/v1beta1"
NAMESPACE = "default"
TARBALL_URL = "https://codeload.github.com/%s/tar.gz/refs/tags/%s"

Pin = namedtuple("Pin", "release tag commit")

# The fabric tag each supported release ships, oldest first. Release 26.03
# ships v0.129.4; the newest tag these profiles could be read from is v0.126.0,
# so it stands in for 26.03 (release "") until v0.129.4 is pinned here.
PINS = (
    Pin("Beta-1", "v0.53.1", "ca631840626256a9f20b9b2081db7ca2167998f8"),
    Pin("24.09", "v0.58.0", "c5c0e80f7331ba02f0abccfc3129a79e1878fe15"),
    Pin("25.01", "v0.71.6", "0b0b7734bc6fbc715cce6b48990eed96d533b6e5"),
    Pin("25.02", "v0.75.3", "b37c06acef611d5163315c119df807a3f418d516"),
    Pin("25.03", "v0.81.1", "0303439688440d31d0d87716a72b5df0106999e9"),
    Pin("25.04", "v0.87.4", "5bc2167c179b731cde6303a2d61a5b79d32a0ca8"),
    Pin("25.05", "v0.96.2", "8b0aefa0937a95e51cc04ec3ea33fadb06782a99"),
    Pin("26.01", "v0.115.4", "be8d9e0709a69aaf71d13de9310ea453140486e9"),
    Pin("26.02", "v0.120.3", "650d4e01faee27aa1bad8ab9bb5a5a7125c5bb7c"),
    Pin("", "v0.126.0", "448f131bf10123eebe2dd5379bdb6aa7a8448538"),
)


class SourceError(Exception):
    """The fabric source cannot be read, or is not the pinned one."""


# -- where the source comes from -------------------------------------------------------


class GitTree:
    """One tag of a git repository (a clone or a bare mirror)."""

    def __init__(self, repository, pin):
        self.repository = repository
        self.pin = pin
        found = self._git("rev-parse", "--verify", "--quiet", "%s^{commit}" % pin.tag).strip()
        if found != pin.commit:
            raise SourceError("tag %s of %s is commit %s, not the pinned %s" % (
                pin.tag, repository, found or "(missing)", pin.commit))

    def _git(self, *args):
        try:
            done = subprocess.run(("git", "-C", self.repository) + args, capture_output=True, check=False)
        except OSError as exc:
            raise SourceError("cannot run git: %s" % exc) from exc
        if done.returncode != 0 and args[0] != "rev-parse":
            error = done.stderr.decode("utf-8", "replace").strip()
            raise SourceError("git %s failed in %s: %s" % (" ".join(args), self.repository, error))
        return done.stdout.decode("utf-8")

    def read_file(self, path):
        return self._git("show", "%s:%s" % (self.pin.commit, path))

    def read_dir(self, directory):
        listing = self._git("ls-tree", "--name-only", self.pin.commit, directory.rstrip("/") + "/")
        names = [os.path.basename(line) for line in listing.splitlines() if line.endswith(".go")]
        return dict((name, self.read_file("%s/%s" % (directory, name))) for name in names)


class DirTree:
    """A directory holding the source at one tag (an unpacked tarball or a checkout)."""

    def __init__(self, root, pin):
        self.root = root
        self.pin = pin
        if not os.path.isfile(os.path.join(root, "go.mod")):
            raise SourceError("%s is not a fabric source tree (no go.mod)" % root)

    def read_file(self, path):
        with open(os.path.join(self.root, path), encoding="utf-8") as handle:
            return handle.read()

    def read_dir(self, directory):
        full = os.path.join(self.root, directory)
        if not os.path.isdir(full):
            return {}
        return dict((name, self.read_file(os.path.join(directory, name))) for name in sorted(os.listdir(full))
                    if name.endswith(".go") and os.path.isfile(os.path.join(full, name)))


class TarTree:
    """A tag's tarball as GitHub serves it; its pax header names the commit."""

    def __init__(self, data, pin):
        self.pin = pin
        self.files = {}
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            commit = archive.pax_headers.get("comment", "")
            if commit != pin.commit:
                raise SourceError("the tarball of %s is commit %s, not the pinned %s" % (
                    pin.tag, commit or "(not stated)", pin.commit))
            for member in archive.getmembers():
                if member.isfile() and "/" in member.name:
                    path = member.name.split("/", 1)[1]
                    if path == "go.mod" or path.endswith(".go"):
                        self.files[path] = archive.extractfile(member).read().decode("utf-8")

    def read_file(self, path):
        if path not in self.files:
            raise SourceError("%s is not in the tarball of %s" % (path, self.pin.tag))
        return self.files[path]

    def read_dir(self, directory):
        prefix = directory.rstrip("/") + "/"
        return dict((path[len(prefix):], text) for path, text in self.files.items()
                    if path.startswith(prefix) and "/" not in path[len(prefix):])


def git_trees(repository):
    return lambda pin: GitTree(repository, pin)


def dir_trees(root):
    """Trees from ``root/<tag>/`` per pinned tag."""
    return lambda pin: DirTree(os.path.join(root, pin.tag), pin)


def download_trees(timeout=120):
    def fetch(pin):
        url = TARBALL_URL % (REPOSITORY, pin.tag)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec - a fixed https URL
                return TarTree(response.read(), pin)
        except OSError as exc:
            raise SourceError("cannot download %s: %s" % (url, exc)) from exc
    return fetch


def trees_for(path):
    """Trees from ``path``: a git repository holding the tags (clone or bare), else a directory of <tag>/ trees."""
    is_git = os.path.exists(os.path.join(path, ".git")) or (
        os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects")))
    return git_trees(path) if is_git else dir_trees(path)


# -- reading the profiles --------------------------------------------------------------


def module_path(go_mod):
    match = re.search(r"^module\s+(\S+)", go_mod, re.MULTILINE)
    if match is None:
        raise SourceError("go.mod names no module")
    return match.group(1)


def _is_profile_type(type_, profile_type):
    if type_ is not None and type_.kind == "pointer":
        type_ = type_.elem
    return type_ is not None and type_.name == profile_type


def catalog_lists(package, profile_type):
    """Names of the package's vars that are slices of SwitchProfile: the lists the controller registers."""
    found = []
    for name in sorted(package.declarations):
        declaration = package.declarations[name]
        mentions = any(token.value == profile_type[1] for token in declaration.tokens + declaration.type_tokens)
        if declaration.kind != "var" or not mentions:
            continue
        where = "%s:%d" % (declaration.file.name, declaration.line)
        type_ = package.value_type(name, where)
        if type_ is not None and type_.kind == "slice" and _is_profile_type(type_.elem, profile_type):
            found.append(name)
    return found


def as_object(profile):
    """The SwitchProfile object the controller serves for a profile's Go value."""
    written = to_json(profile)
    name = (written.get("metadata") or {}).get("name")
    if not name:
        raise SourceError("a switch profile without a name")
    spec = written.get("spec") or {}
    if not spec.get("ports"):
        raise SourceError("switch profile %s has no ports" % name)
    return {"apiVersion": API_VERSION, "kind": "SwitchProfile",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def _catalog_profiles(tree):
    module = module_path(tree.read_file("go.mod"))
    loader = Loader(module, tree.read_dir)
    package = loader.package("%s/%s" % (module, PROFILE_PACKAGE))
    profile_type = ("%s/%s" % (module, WIRING_API), "SwitchProfile")
    lists = catalog_lists(package, profile_type)
    if not lists:
        raise SourceError("%s lists no switch profiles" % PROFILE_PACKAGE)
    profiles = {}
    for list_name in lists:
        for profile in package.value(list_name, "%s.%s" % (PROFILE_PACKAGE, list_name)):
            obj = as_object(profile)
            name = obj["metadata"]["name"]
            if name in profiles and profiles[name] != obj:
                raise SourceError("switch profile %s is defined twice" % name)
            profiles[name] = obj
    return profiles


def read_profiles(tree):
    """{name: SwitchProfile object} of every profile in the catalog of one tag."""
    try:
        return _catalog_profiles(tree)
    except (GoError, SourceError) as exc:
        raise SourceError("%s: %s" % (tree.pin.tag, exc)) from exc


def read_all(open_tree, pins=PINS):
    """({name: object}, {name: tag}) over every pinned tag: the newest definition of a name wins."""
    profiles, origins = {}, {}
    for pin in pins:
        for name, obj in read_profiles(open_tree(pin)).items():
            profiles[name] = obj
            origins[name] = pin.tag
    return profiles, origins
