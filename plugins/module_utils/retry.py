# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries of transient faults, in one place.

Only :class:`TransientError` is retried; anything else rises at once. Sleeps are
jittered ("full jitter": uniform between zero and the current delay) so that
several controllers hitting one busy NetBox do not retry in lock-step, and the
whole retry loop is bounded both in attempts and in elapsed time.
"""

from __future__ import annotations

import random
import time

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import TransientError

DEFAULT_RETRIES = options.default("retries")
DEFAULT_DELAY = options.default("retry_delay")
DEFAULT_BACKOFF = 2.0
DEFAULT_MAX_DELAY = options.default("retry_max_delay")
DEFAULT_MAX_TIME = options.default("retry_max_time")


class Backoff:
    """Jittered exponential backoff, bounded by ``retries`` and ``max_time`` seconds."""

    def __init__(self, retries=DEFAULT_RETRIES, delay=DEFAULT_DELAY, backoff=DEFAULT_BACKOFF,
                 max_delay=DEFAULT_MAX_DELAY, max_time=DEFAULT_MAX_TIME,
                 sleep=time.sleep, clock=time.monotonic, rand=random.random):
        self.retries = max(0, int(retries))
        self.delay = float(delay)
        self.backoff = float(backoff)
        self.max_delay = float(max_delay)
        self.max_time = float(max_time)
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.retried = 0

    def delays(self):
        """The un-jittered delay before each retry."""
        current = self.delay
        for _attempt in range(self.retries):
            yield min(current, self.max_delay)
            current *= self.backoff

    def call(self, func, *args, **kwargs):
        """Run ``func``; on a transient fault sleep and run it again, within the bounds."""
        return self.call_checked(lambda: func(*args, **kwargs))

    def call_checked(self, attempt, settled=None):
        """Run ``attempt()`` with retries; before each retry, ``settled()`` may find that it took effect after all.

        A write that failed on a timeout or a 5xx may have been committed
        before the answer was lost: ``settled`` looks (by the objects' natural
        keys) and returns the outcome when nothing is left to do, or None to try
        again with what is left.
        """
        deadline = self._clock() + self.max_time
        for ceiling in self.delays():
            try:
                return attempt()
            except TransientError:
                pause = self._rand() * ceiling
                if self._clock() + pause > deadline:
                    raise
                self.retried += 1
                self._sleep(pause)
            if settled is not None:
                outcome = settled()
                if outcome is not None:
                    return outcome
        return attempt()
