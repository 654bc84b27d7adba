"""Writing results safely: every file atomically, a run's outputs swapped in as one folder, and
never through a symbolic link this code did not make.

A results folder may come from elsewhere (copied, unpacked, shared): a link inside it could
point anywhere, so a link where a file or folder of ours belongs is refused, never followed. A
file is written under a temporary name made with O_EXCL in its own folder and renamed over the
old one, which replaces a link instead of writing through it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from experiments.experiment import ExperimentError, named

TEMPORARY = ".tmp-"  # prefix of every temporary file and folder (hidden from Parquet readers)


class WriteError(ExperimentError):
    """A file or folder that cannot be written (full or read-only disk, no permission); the
    message names it and the reason."""


def display(path: str | os.PathLike) -> str:
    """A path for a message: printable whatever its bytes (a name that is not UTF-8 shows its
    bytes escaped), shortened when huge."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return named(text, 300)


def reason(error: OSError) -> str:
    """An OSError's reason in words ("No space left on device")."""
    return error.strerror or str(error) or type(error).__name__


def real_folder(path: Path, create: bool = True) -> Path:
    """`path`, checked to be a folder and not a symbolic link; created (with its parents) if
    it is missing and `create`.

    Raises:
        ExperimentError: it is a link or a file, or cannot be created or examined.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            raise ExperimentError(f"{display(path)}: no such folder") from None
        try:
            path.mkdir(parents=True, exist_ok=True)
            info = os.lstat(path)
        except OSError as error:
            raise WriteError(f"{display(path)}: cannot create the folder ({reason(error)})") \
                from None
    except OSError as error:
        raise ExperimentError(f"{display(path)}: cannot examine it ({reason(error)})") from None
    if stat.S_ISLNK(info.st_mode):
        raise ExperimentError(f"{display(path)}: is a symbolic link, which is never written "
                              "through; allowed: a real folder (remove the link)")
    if not stat.S_ISDIR(info.st_mode):
        raise ExperimentError(f"{display(path)}: exists and is not a folder")
    return path


def not_a_link(path: Path) -> Path:
    """`path`, checked not to be a symbolic link (it may be missing).

    Raises:
        ExperimentError: it is a link.
    """
    if path.is_symlink():
        raise ExperimentError(f"{display(path)}: is a symbolic link, which is never written "
                              "through; allowed: a regular file or nothing (remove the link)")
    return path


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(file)` on a new temporary file in `path`'s folder (created if missing; never
    a link), then rename it to `path`. The file gets the mode a newly created file would
    (0o666 less the umask) and is flushed to disk, and so is the folder's entry after the
    rename. On failure the temporary file is removed and `path` is as it was.

    Raises:
        WriteError: the file cannot be written (the message names it and why).
        ExperimentError: its folder is a link or a file.
    """
    real_folder(path.parent)
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY, suffix=path.suffix)
    except OSError as error:
        raise WriteError(f"{display(path)}: cannot write ({reason(error)})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fchmod(file.fileno(), 0o666 & ~umask())  # mkstemp made it 0o600
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except OSError as error:
        _remove(tmp)
        raise WriteError(f"{display(path)}: cannot write ({reason(error)})") from None
    except BaseException:
        _remove(tmp)
        raise
    fsync_folder(path.parent)


def write_new(folder: Path, name: str, write: Callable[[BinaryIO], object]) -> Path:
    """Write a new file `name` in `folder` (a folder of ours, being filled before it is
    swapped in): created exclusively, flushed to disk."""
    path = folder / name
    with open(path, "xb") as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())
    return path


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; folders cannot be opened on
    Windows."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def umask() -> int:
    """The process's umask (from /proc on Linux; elsewhere set and restored at once)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):  # Linux 4.7 and later
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: str | Path) -> None:
    """Remove a temporary file or folder of ours, if it is still there."""
    if Path(path).is_dir() and not Path(path).is_symlink():
        shutil.rmtree(path)
    else:
        Path(path).unlink(missing_ok=True)


# ---------------------------------------------------------------------- whole folders
def check_replaceable(target: Path, outputs: Iterable[str],
                      folders: Iterable[str] = ()) -> None:
    """Check, before any work, that `staged_folder(target, ...)` can replace `target`: it is
    missing, or a real folder holding only regular files named in `outputs` and folders named
    in `folders` that hold only regular files (a previous run's outputs, which go all
    together), and a folder can be made beside it.

    Raises:
        ExperimentError: it is a link or a file, holds anything else, or its parent folder
            cannot be written to.
    """
    files, subfolders = set(outputs), set(folders)
    allowed = ", ".join(sorted(files | {f"{name}/" for name in subfolders}))
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise ExperimentError(f"{display(target)}: cannot use it ({reason(error)})") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise ExperimentError(f"{display(target)}: is a symbolic link; allowed: a real "
                                  "folder (a run's outputs replace the folder, not the link's "
                                  "target)")
        if not stat.S_ISDIR(info.st_mode):
            raise ExperimentError(f"{display(target)}: exists and is not a folder")
        for entry, inside in _entries(target, subfolders):
            if not entry.is_file(follow_symlinks=False) or not inside and \
                    entry.name not in files:
                what = ("a folder" if entry.is_dir(follow_symlinks=False) else
                        "a link" if entry.is_symlink() else "not a run's output")
                raise ExperimentError(
                    f"{display(entry.path)} is {what}, and a run's outputs replace the whole "
                    f"folder; allowed: a new folder, or one holding only a run's outputs "
                    f"({allowed})")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=TEMPORARY))  # can a folder be made here?
    except OSError as error:
        raise ExperimentError(f"{display(target)}: cannot write beside it in "
                              f"{display(parent)} ({reason(error)}); allowed: a folder that "
                              "can be created and written to") from None


def _entries(folder: Path, subfolders: set[str]) -> Iterator[tuple[os.DirEntry, bool]]:
    """The entries of `folder`, and those of its subfolders named in `subfolders` (with True:
    inside one); a named subfolder itself is not listed."""
    try:
        for entry in list(os.scandir(folder)):
            if entry.name in subfolders and entry.is_dir(follow_symlinks=False):
                yield from ((inner, True) for inner in list(os.scandir(entry.path)))
            else:
                yield entry, False
    except OSError as error:
        raise ExperimentError(f"{display(folder)}: cannot read it ({reason(error)})") from None


@contextmanager
def staged_folder(target: Path, outputs: Iterable[str],
                  folders: Iterable[str] = ()) -> Iterator[Path]:
    """A new folder beside `target` to fill (yielded), which then replaces `target` all at
    once: flushed to disk, exchanged with it in one atomic rename (Linux) or moved in with two
    renames, and the old one removed. If the block fails or is interrupted, the new folder is
    removed and `target` is left as it was. `outputs` and `folders` name what `target` may
    hold (see `check_replaceable`, checked before and again just before the exchange).

    Raises:
        WriteError: the folder cannot be made or a file in it written (nothing is replaced).
        ExperimentError: `target` cannot be replaced.
    """
    outputs, folders = list(outputs), list(folders)
    check_replaceable(target, outputs, folders)
    parent = target.parent
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=TEMPORARY))
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp made it 0o700
    except OSError as error:
        raise WriteError(f"{display(target)}: cannot write ({reason(error)}); nothing was "
                         "replaced") from None
    try:
        yield staging
        fsync_folder(staging)
        check_replaceable(target, outputs, folders)  # it may have changed meanwhile
        _swap(staging, target)
    except OSError as error:
        _remove(staging)
        raise WriteError(f"{display(target)}: cannot write ({reason(error)}); nothing was "
                         "replaced") from None
    except BaseException:
        _remove(staging)
        raise
    _remove(staging)  # after an exchange it holds the old outputs
    fsync_folder(parent)


def replace_folder(target: Path, outputs: Iterable[str],
                   write: Callable[[Path], object]) -> None:
    """Make `target` hold exactly what `write(folder)` writes into a new folder, all at once
    (`staged_folder`).

    Raises:
        WriteError: a file cannot be written (nothing is replaced).
        ExperimentError: `target` cannot be replaced (see `check_replaceable`).
    """
    with staged_folder(target, outputs) as folder:
        write(folder)


def _swap(staging: Path, target: Path) -> None:
    """Put `staging` at `target`; afterwards `staging` holds the old folder, if there was
    one."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=TEMPORARY))
    os.rename(target, old)  # replaces the empty folder `old`
    os.rename(staging, target)
    os.rename(old, staging)


_RENAME_EXCHANGE = 2  # from <linux/fs.h>
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Exchange two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the C
    library or the file system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), os.fsdecode(b))
