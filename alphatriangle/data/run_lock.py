"""One writer per run: an exclusive `fcntl` lock on `runs/<run>/.lock`.

The kernel drops the lock when its holder exits, however it exits (a crash, SIGKILL), so a
stale lock never blocks a resume. The file also names the holder's pid, for the message only.
"""

import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_FILE = ".lock"


class RunInUseError(RuntimeError):
    """Another process holds the run's lock; the message is one line for the user."""


class RunLock:
    """Hold with `with RunLock(run_dir):` or `acquire()` / `release()`."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunInUseError(
                f"run {self.run_dir.name!r} is in use by another alphatriangle process "
                f"(pid {holder}); wait for it to finish or pick another --run-name"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
