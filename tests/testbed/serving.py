"""What both API stand-ins serve with: the HTTP server, state files, a ready marker, stop on SIGTERM.

Whoever starts a stand-in as a process (the test bed, a test, molecule) waits
for STATE_DIR/ready and reads the URL and secrets from the files beside it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path


class QuietServer(ThreadingHTTPServer):
    """A threaded HTTP(S) server that stops at once and takes hang-ups calmly."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients hanging up or failing the TLS handshake are routine here (the fault tests do it
        # on purpose); anything else is a bug in the stand-in and gets the usual traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def write_private(path: Path, data: bytes) -> None:
    """A file only its owner can read, from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_file(path: Path, text: str, private: bool = False) -> None:
    # Written aside and renamed so that a watcher never reads half a file.
    temp = path.with_name(path.name + ".tmp")
    if private:
        write_private(temp, text.encode())
    else:
        temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def clear_state_dir(state_dir) -> Path:
    """The state folder, made if needed, without the ready marker of an earlier run."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "ready").unlink(missing_ok=True)
    return state_dir


def serve_until_stopped(standin, state_dir: Path, secrets: dict, banner: str) -> int:
    """Start ``standin``, write its secrets (0600), url and ready files, and serve until SIGTERM or SIGINT."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    standin.start()
    try:
        for name, value in secrets.items():
            write_file(state_dir / name, value + "\n", private=True)
        write_file(state_dir / "url", standin.url + "\n")
        write_file(state_dir / "ready", standin.url + "\n")
        print(banner % {"url": standin.url}, flush=True)
        stopping.wait()
    finally:
        (state_dir / "ready").unlink(missing_ok=True)
        standin.stop()
    return 0
