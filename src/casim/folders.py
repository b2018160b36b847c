"""Writing results into the file system safely: atomic folders and files, locks, leftovers.

Guarantees (docs/reliability.md):

* **Never a half-written result.** A folder is written under a temporary name unique to
  this process (``.NAME.partial-PID-TOKEN``, hidden, beside the target) and renamed to its
  final name only when complete; a file likewise. Whatever stops the writer (an error,
  Ctrl-C, SIGTERM) removes the temporary folder, so a folder under its final name is
  complete.
* **Never delete or replace what casim did not create.** The target must not exist or be
  an empty folder; the final rename refuses a target that became non-empty meanwhile
  (POSIX ``rename`` of a folder only replaces an empty one). Only folders holding casim's
  marker file are ever removed.
* **One writer per target.** A lock file (``.NAME.lock``, created exclusively) names the
  process writing a target; a second ``casim`` process aimed at the same target is refused
  at once. A lock left by a process that no longer runs (a crash, ``kill -9``) is stale and
  taken over.
* **Leftovers are noticed and cleaned.** :func:`leftovers` finds the temporary folders
  and locks of writers that no longer run; ``casim clean`` removes them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from casim.errors import CasimError, RunFailed

#: Infix of temporary folders and files: ``.NAME.partial-PID-TOKEN``.
PARTIAL = ".partial-"
LOCK_SUFFIX = ".lock"
#: Marker inside a temporary folder: who writes it (so only casim's folders are removed).
MARKER = ".casim-writing"
#: Longest file name most file systems accept (bytes).
NAME_MAX = 255


class WriteError(RunFailed):
    """A results folder or file could not be written (exit 1: the run could not complete)."""


def _owner() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _alive(owner: str) -> bool:
    """Whether the process named ``host pid`` may still run (unknown hosts count as alive)."""
    host, _, pid = owner.strip().rpartition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return bool(owner.strip())
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}{PARTIAL}{os.getpid()}-{secrets.token_hex(3)}")


def final_name(folder: Path) -> str:
    """The name a folder has, or will have once complete (``.NAME.partial-...`` gives ``NAME``)."""
    name = Path(folder).name
    if name.startswith(".") and PARTIAL in name:
        return name[1:].rsplit(PARTIAL, 1)[0]
    return name


def lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{LOCK_SUFFIX}")


def check_target(final: Path, option: str = "--out", create_parent: bool = False) -> Path:
    """Refuse a target casim cannot or must not write, with a one-line reason.

    With ``create_parent``, the folder that will hold the target is created (so that the
    free space there can be measured before a run starts).

    Raises:
        CasimError: if the target is a file, a link, a non-empty folder, lies under a file,
            or has a name too long for the file system.
    """
    final = Path(final)
    if len(os.fsencode(final.name)) + len(PARTIAL) + 20 > NAME_MAX:
        raise CasimError(str(final), 0, 0, option, f"the name is too long (at most {NAME_MAX - 40} bytes)")
    if final.is_symlink():
        raise CasimError(str(final), 0, 0, option, "this is a symbolic link; give the folder it points to")
    if final.exists() and not final.is_dir():
        raise CasimError(str(final), 0, 0, option, "this is a file; give a folder that does not exist yet")
    if final.is_dir() and any(final.iterdir()):
        raise CasimError(
            str(final),
            0,
            0,
            option,
            "the folder exists and is not empty; casim never overwrites results (choose another folder or remove it)",
        )
    for parent in final.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CasimError(str(final), 0, 0, option, f"'{parent}' is a file, not a folder")
            break
    if create_parent:
        _mkdir_parent(final, option)
    return final


@contextlib.contextmanager
def _lock(final: Path, option: str) -> Iterator[None]:
    path = lock_path(final)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                owner = path.read_text(encoding="utf-8")
            except OSError:
                owner = ""
            if _alive(owner):
                raise CasimError(
                    str(final),
                    0,
                    0,
                    option,
                    f"another casim process ({owner.strip() or 'unknown'}) is writing this folder; "
                    f"wait for it or choose another folder (if none runs, remove {path.name})",
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # stale: its writer no longer runs
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_owner())
        break
    else:  # pragma: no cover - another process took the stale lock between our two attempts
        raise CasimError(str(final), 0, 0, option, "another casim process is writing this folder")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8") == _owner():
                path.unlink()


def _mkdir_parent(final: Path, option: str) -> None:
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CasimError(str(final), 0, 0, option, f"cannot create its folder: {error.strerror or error}") from None


@contextlib.contextmanager
def atomic_folder(final: str | Path, option: str = "--out") -> Iterator[Path]:
    """Yield a fresh temporary folder; rename it to ``final`` when the block succeeds.

    Raises:
        CasimError: if ``final`` is not a place casim may write (see :func:`check_target`)
            or another casim process is writing it.
        WriteError: if the folder cannot be created or renamed into place (nothing is left).
    """
    final = check_target(Path(final), option)
    _mkdir_parent(final, option)
    with _lock(final, option):
        temp = _temp_name(final)
        try:
            temp.mkdir()
            (temp / MARKER).write_text(_owner(), encoding="utf-8")
        except OSError as error:
            shutil.rmtree(temp, ignore_errors=True)
            raise WriteError(f"cannot create a folder beside {final}: {error.strerror or error}") from None
        try:
            yield temp
            (temp / MARKER).unlink()
            try:
                os.rename(temp, final)  # replaces only an empty folder, atomically
            except OSError as error:
                if error.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                    raise WriteError(
                        f"{final} was created by someone else while this run was writing; "
                        "nothing was replaced and this run's results were discarded"
                    ) from None
                raise WriteError(f"cannot move the results into {final}: {error.strerror or error}") from None
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise


def write_text_atomic(path: str | Path, text: str, option: str = "--out") -> Path:
    """Write a text file under a temporary name and rename it: never a half-written file.

    Raises:
        CasimError: if ``path`` is a folder or lies under a file.
        WriteError: if the file cannot be written (the temporary file is removed).
    """
    target = Path(path)
    if target.is_dir():
        raise CasimError(str(target), 0, 0, option, "this is a folder; give a file name")
    if len(os.fsencode(target.name)) + len(PARTIAL) + 20 > NAME_MAX:
        raise CasimError(str(target), 0, 0, option, f"the name is too long (at most {NAME_MAX - 40} bytes)")
    _mkdir_parent(target, option)
    temp = _temp_name(target)
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(error, OSError):
            raise WriteError(f"cannot write {target}: {error.strerror or error}") from None
        raise
    return target


@dataclass(frozen=True)
class Leftover:
    """A temporary folder or lock whose writer no longer runs."""

    path: Path
    owner: str
    size: int


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def leftovers(root: str | Path, recursive: bool = True) -> list[Leftover]:
    """Temporary folders (with casim's marker) and locks under ``root`` whose writer no longer runs."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    glob = root.rglob if recursive else root.glob
    for path in sorted(glob(f".*{PARTIAL}*")):
        if path.is_dir() and (path / MARKER).is_file():
            owner = (path / MARKER).read_text(encoding="utf-8", errors="replace")
        elif path.is_file():
            owner = f"{socket.gethostname()} {path.name.rsplit(PARTIAL, 1)[-1].split('-')[0]}"
        else:
            continue  # not casim's: never touched
        if not _alive(owner):
            found.append(Leftover(path, owner.strip(), _tree_size(path)))
    for path in sorted(glob(f".*{LOCK_SUFFIX}")):
        if path.is_file():
            owner = path.read_text(encoding="utf-8", errors="replace")
            if not _alive(owner):
                found.append(Leftover(path, owner.strip(), path.stat().st_size))
    return found


def remove_leftovers(items: list[Leftover]) -> int:
    """Remove what :func:`leftovers` found; returns the bytes freed."""
    freed = 0
    for item in items:
        freed += item.size
        if item.path.is_dir():
            shutil.rmtree(item.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                item.path.unlink()
    return freed
