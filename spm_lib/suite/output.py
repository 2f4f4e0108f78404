"""One run at a time on an output folder, and output swapped in whole.

:class:`RunLock` is an advisory ``flock`` on ``OUT/.spm/lock``: the kernel releases it when
the process that holds it ends, however it ends (SIGKILL included), so a dead run never holds
the folder; the file keeps the holder's pid and start time for the message a second run gets.

:func:`swap_in` puts a finished folder in place of the one readers see with one
``renameat2(RENAME_EXCHANGE)`` (Linux): a reader sees the old folder or the new one, never a
mix. Where the call is missing it falls back to two renames (a moment with no folder).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import fcntl
import os
import shutil
from pathlib import Path

from spm_lib.exceptions import OutputBusy


class RunLock:
    """``with RunLock(path):`` holds ``path`` for this run or raises :class:`OutputBusy`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise OutputBusy(
                f"another spm run is writing to {self.path.parent.parent} ({holder}); wait for "
                "it to finish, or give this run another --out"
            ) from None
        os.ftruncate(fd, 0)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        os.write(fd, f"pid {os.getpid()}, started {started}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the lock
            self._fd = None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one step; False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    done = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def swap_in(staged: Path, final: Path) -> None:
    """Put folder ``staged`` at ``final`` (replacing what is there); ``staged`` is gone after."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if not final.exists():
        os.replace(staged, final)
        return
    if not _exchange(staged, final):
        aside = staged.with_name(staged.name + ".previous")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(final, aside)
        os.replace(staged, final)
        staged = aside
    shutil.rmtree(staged, ignore_errors=True)  # now the previous folder


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def copy_atomically(source: Path, target: Path) -> None:
    """Copy file ``source`` to ``target`` through a temporary file renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


__all__ = ["OutputBusy", "RunLock", "copy_atomically", "swap_in", "write_atomically"]
