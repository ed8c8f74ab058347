"""Helpers for the ROS 2 tests (imported by conftest and the test files)."""

import threading
import time

from rclpy.executors import MultiThreadedExecutor


class Spinner:
    """Spins nodes on a MultiThreadedExecutor in a background thread for the test's duration.
    ``close()`` stops the loop, then waits for running callbacks, before anyone destroys a node."""

    def __init__(self, ctx, *nodes, threads=4):
        self.executor = MultiThreadedExecutor(num_threads=threads, context=ctx)
        for n in nodes:
            self.executor.add_node(n)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self):
        try:
            while not self._stop.is_set():
                self.executor.spin_once(timeout_sec=0.02)
        except Exception:  # noqa: BLE001 - a context shut down under us ends the loop
            pass

    def close(self):
        self._stop.set()
        self.thread.join(timeout=5.0)
        self.executor.shutdown(timeout_sec=5.0)


def wait_for(pred, timeout=5.0, interval=0.01, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
