"""Small local files that hold secrets: created owner-only, never half-written, never shared.

Used by the local key-encryption-key file and the blind-index key. A file is written in
full under a temporary name and then linked or renamed into place, so a concurrent reader
sees either no file or a complete one, and permissions are 0600 from the first byte.
"""

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from services.sharing.errors import KeyFileError

_PRIVATE_MODE = 0o600


def read_private_file(path: Path) -> bytes:
    """The file's bytes, refusing a file that group or others can access."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    if not stat.S_ISREG(status.st_mode):
        raise KeyFileError(f"key file {path} is not a regular file")
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path} is accessible by group or others (mode {mode:04o}); "
            f"restrict it to its owner with: chmod 600 {path}"
        )
    return path.read_bytes()


def read_or_create_private_file(path: Path, make_content: Callable[[], bytes]) -> bytes:
    """Read the file, first creating it from `make_content()` if it does not exist yet.

    If two processes race to create it, exactly one wins and both read the winner's bytes.
    """
    if not path.exists():
        content = make_content()
        temporary = _write_temporary(path, content)
        try:
            os.link(temporary, path)  # atomic, and fails if someone else created it first
            return content
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return read_private_file(path)


def replace_private_file(path: Path, content: bytes) -> None:
    """Atomically replace the file's content, keeping it owner-only."""
    temporary = _write_temporary(path, content)
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_temporary(path: Path, content: bytes) -> Path:
    """Write `content` to a fresh 0600 file next to `path` and return its name."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
