"""Is a folder on a network share? WAL needs shared memory between processes, which SMB and NFS do not give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: File-system types where SQLite's WAL mode is unsafe (no shared memory across machines).
NETWORK_FS_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "afpfs",
        "webdav",
        "davfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "ncpfs",
        "afs",
        "glusterfs",
        "fuse.glusterfs",
        "ceph",
        "fuse.rclone",
    }
)


def network_fs_type(path: str | os.PathLike) -> str | None:
    """The network file-system type the path lies on ('nfs', 'cifs', 'unc', 'remote', ...), or None if local."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    folder = folder.resolve()
    if sys.platform.startswith("win"):
        return _windows_remote(folder)
    fstype = _mount_fs_type(folder)
    if fstype and fstype.lower() in NETWORK_FS_TYPES:
        return fstype.lower()
    return None


def _windows_remote(folder: Path) -> str | None:
    text = str(folder)
    if text.startswith("\\\\") and not text.startswith("\\\\?\\"):
        return "unc"
    try:
        import ctypes

        drive_remote = 4
        root = folder.anchor or text[:3]
        if ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) == drive_remote:  # type: ignore[attr-defined]
            return "remote"
    except (AttributeError, OSError, ValueError):
        return None
    return None


def _mount_fs_type(folder: Path) -> str | None:
    """The type of the longest mount point that contains ``folder`` (Linux /proc/mounts, else `mount`)."""
    mounts = _proc_mounts() if Path("/proc/mounts").is_file() else _mount_command()
    best, best_type = "", None
    target = str(folder)
    for point, fstype in mounts:
        inside = target == point or target.startswith(point.rstrip("/") + "/") or point == "/"
        if inside and len(point) > len(best):
            best, best_type = point, fstype
    return best_type


def _proc_mounts() -> list[tuple[str, str]]:
    rows = []
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3:
                    rows.append((parts[1].replace("\\040", " "), parts[2]))
    except OSError:
        return []
    return rows


def _mount_command() -> list[tuple[str, str]]:
    """macOS / BSD: lines like ``//u@server/share on /Volumes/share (smbfs, nodev, nosuid)``."""
    try:
        out = subprocess.run(["mount"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.splitlines():
        if " on " not in line or "(" not in line:
            continue
        point = line.split(" on ", 1)[1].rsplit(" (", 1)[0]
        fstype = line.rsplit("(", 1)[1].split(",")[0].strip(" )")
        rows.append((point, fstype))
    return rows
