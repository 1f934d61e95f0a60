"""One daemon per state folder: ``OUT/state/daemon.lock``, an advisory lock holding the owner's pid.

The kernel lock (``flock``) is what counts: it disappears with its process, so a lock file left by
a daemon that was killed is stale by construction and simply taken over (we log whose it was).
The pid inside is for messages and ``digest status``.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from digest.errors import StateError

LOCK_NAME = "daemon.lock"


def read_owner(path: str | os.PathLike[str]) -> int | None:
    """The pid written in a lock file, or None when there is none."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def holder(state_folder: str | os.PathLike[str]) -> int | None:
    """The pid of the daemon holding the lock of ``state_folder`` (-1: not written yet), or None.

    Asks the kernel (a shared lock attempt, dropped at once) rather than trusting the pid in
    the file, which may belong to a killed daemon or, by now, to an unrelated process.
    """
    path = Path(state_folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return read_owner(path) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class DaemonLock:
    """``with DaemonLock(state_folder):`` — held for the daemon's lifetime; StateError if taken.

    ``stale_pid`` is set when a lock file of a process that no longer runs was taken over.
    """

    def __init__(self, state_folder: str | os.PathLike[str]):
        self.path = Path(state_folder) / LOCK_NAME
        self.stale_pid: int | None = None
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StateError naming the running daemon."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create state folder {self.path.parent}: {exc.strerror or exc}") from None
        # Loop because the file can be unlinked by its releasing owner between our open and lock;
        # a lock on an unlinked file guards nothing, so we check we locked the file at the path.
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StateError(f"cannot open lock file {self.path}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise StateError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
                pid = read_owner(self.path)
                who = f"pid {pid}" if pid else "another process"
                raise StateError(f"another `digest run` ({who}) is already using {self.path.parent}") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            previous = read_owner(self.path)
            if previous is not None and previous != os.getpid():
                self.stale_pid = previous
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            self._fd = fd
            return
        raise StateError(f"cannot lock {self.path}: it keeps being replaced")

    def release(self) -> None:
        """Remove the lock file and drop the lock (unlink first, so no one locks a dying file)."""
        if self._fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
