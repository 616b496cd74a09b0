# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/switch-profiles: write the built-in switch profiles from githedgehog/fabric's Go source."""

from __future__ import annotations

import argparse
import os
import sys

from . import generate
from .upstream import PINS, SourceError, download_trees, trees_for

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "plugins", "module_utils", "source", "profile_catalog.py")

DESCRIPTION = """\
Write %s from the switch profiles of githedgehog/fabric at the pinned tags
(%s). The source is a clone of githedgehog/fabric that holds the tags
(--source REPO), a directory with one source tree per tag (--source DIR, as
DIR/v0.126.0/...), or the tags' tarballs downloaded from GitHub (--download).
""" % (os.path.relpath(DEFAULT_OUTPUT, REPO_ROOT), ", ".join(pin.tag for pin in PINS))


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/switch-profiles", description=DESCRIPTION)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--source", metavar="PATH", help="a git clone holding the tags, or a directory of <tag>/ trees")
    where.add_argument("--download", action="store_true", help="download the tags' tarballs from GitHub")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="the module to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the module differs from what the source gives")
    return parser.parse_args(argv)


def main(argv=None):
    args = _arguments(argv)
    open_tree = download_trees() if args.download else trees_for(args.source)
    try:
        text = generate(open_tree)
    except SourceError as exc:
        print("switch-profiles: %s" % exc, file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as handle:
                current = handle.read()
        except OSError:
            current = None
        if current != text:
            print("switch-profiles: %s is not what the pinned source gives; run scripts/switch-profiles" % args.output,
                  file=sys.stderr)
            return 1
        print("switch-profiles: %s is up to date" % args.output)
        return 0
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    print("switch-profiles: wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
