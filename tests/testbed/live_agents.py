"""Give the Agents a stand-in serves a fresh heartbeat, as a running fabric's switches would.

The fixtures' heartbeats are fixed times in the past, so a sync would rightly
show every switch offline; the demo wants a live fabric to look at.

    python -m testbed.live_agents STATE_DIR   (the stand-in's --state-dir)
"""

from __future__ import annotations

import json
import ssl
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from testbed.kube_standin import load_fixture_objects


def refresh(state_dir: Path, fixture_dirs) -> int:
    url = (state_dir / "url").read_text().strip()
    token = (state_dir / "token").read_text().strip()
    context = ssl.create_default_context(cafile=str(state_dir / "ca.crt"))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    count = 0
    for obj in load_fixture_objects(fixture_dirs):
        if obj.get("kind") != "Agent":
            continue
        obj.setdefault("status", {})["lastHeartbeat"] = now
        request = urllib.request.Request(
            url + "/__standin__/objects", data=json.dumps(obj).encode(), method="POST",
            headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=context, timeout=30):
            count += 1
    return count


def main(argv):
    state_dir = Path(argv[1])
    fixtures = [Path(p) for p in argv[2:]] or [Path(__file__).resolve().parents[1] / "fixtures" / "vlab"]
    print("%d agent heartbeat(s) refreshed" % refresh(state_dir, fixtures))


if __name__ == "__main__":
    main(sys.argv)
