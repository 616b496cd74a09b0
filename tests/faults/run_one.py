"""One recorded sync in a process of its own, the way the module runs it; the fault suite kills some of them.

    python run_one.py '<FabricConfig fields as JSON>' [1: handle signals and watch the parent like the module]

Prints one JSON line: {"result": ...}, {"error": ..., "type": ...} or {"skipped": ...}.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import (
    ParentWatch,
    RunControl,
    handle_signals,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import LeaseHeldError, as_sync_error
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun


def main():
    config = FabricConfig(**json.loads(sys.argv[1]))
    like_module = len(sys.argv) > 2 and sys.argv[2] == "1"
    control = RunControl(config.fabric, timeout=config.deadline)
    restore = handle_signals(control) if like_module else (lambda: None)
    options = {}
    if like_module:
        options = {"watch": ParentWatch(), "interrupt": lambda: os.kill(os.getpid(), signal.SIGTERM)}
    print(json.dumps({"pid": os.getpid()}), flush=True)
    try:
        result = RecordedRun(config, control=control, **options).execute()
        outcome = {"result": result.as_dict()}
    except LeaseHeldError as held:
        outcome = {"skipped": str(held)}
    except Exception as error:  # as the module: every ending is one message
        error = as_sync_error(error, config.fabric, control.phase)
        outcome = {"error": str(error), "type": type(error).__name__}
    finally:
        restore()
    print(json.dumps(outcome, default=str), flush=True)


if __name__ == "__main__":
    main()
