"""What a sandbox worker does to itself before it serves a call: limits, no capabilities, no network.

Everything here is inherited by whatever the worker starts (``fork``, ``subprocess``), and none of it
needs privileges: resource limits, ``PR_SET_CHILD_SUBREAPER`` (orphaned descendants come back to the
worker, so they can be found and killed), dropping every capability when the worker is uid 0, and a
seccomp filter (``pyseccomp`` over libseccomp, with no_new_privs) that refuses ``socket()`` and the
calls that would escape the filter or the process tracking. A Python audit hook refuses sockets
in the worker itself with a clear error, and is the only network guard where seccomp is missing.
``confine`` returns what actually applied; the pool reports exactly that.

A worker started as root with ``--switch-to-uid`` first becomes that dedicated uid itself
(``switch_user``), keeping only CAP_DAC_READ_SEARCH: the pool uses this where the dedicated uid
cannot exec the interpreter (e.g. it lives under a 0700 /root), so the worker can still import what
it needs, yet writes only where that uid may and signals only its own processes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import socket
import sys
from typing import Any

PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_CLEAR_ALL = 47, 2, 4
CAP_DAC_READ_SEARCH = 2
_CAP_VERSION_3 = 0x20080522

# Refused with EPERM. Sockets are the network; the rest would let a descendant leave the worker's
# session or process tree, read or steer other processes, or build a network outside the filter;
# open_by_handle_at would turn a kept CAP_DAC_READ_SEARCH into access to files outside the mount namespace.
BLOCKED_SYSCALLS = ("socket", "setsid", "ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns",
                    "mount", "umount2", "pivot_root", "io_uring_setup", "io_uring_enter", "io_uring_register",
                    "open_by_handle_at")
_REQUIRED = {"socket", "setsid", "ptrace"}
_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
_BLOCKED_PRCTL = (PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER)
# Python-level events that reach the network. Unix sockets may be wrapped (socket.socketpair(), asyncio's
# self-pipe) but not connected, bound or addressed; seccomp refuses to create one anyway.
_NETWORK_EVENTS = frozenset({"socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                             "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                             "socket.getnameinfo"})


class NetworkBlocked(OSError):
    pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int, value2: int = 0) -> bool:
    args = [ctypes.c_ulong(value), ctypes.c_ulong(value2), ctypes.c_ulong(0), ctypes.c_ulong(0)]
    try:
        return _libc().prctl(ctypes.c_int(option), *args) == 0
    except AttributeError:  # not Linux
        return False


def _status() -> dict[str, str]:
    with open("/proc/self/status") as handle:
        return {key: value.strip() for key, _, value in (line.partition(":") for line in handle)}


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return 63


def set_dumpable(value: bool) -> bool:
    """A non-dumpable process's /proc entries (environ, mem, fd) become root-owned and closed to ptrace-less peers."""
    return _prctl(PR_SET_DUMPABLE, int(value))


def _user_tasks(uid: int) -> int:
    """Tasks (threads count) of ``uid`` now: what RLIMIT_NPROC counts."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as handle:
                fields = dict(line.split(b":", 1) for line in handle.read().splitlines() if b":" in line)
        except OSError:
            continue
        if int(fields.get(b"Uid", b"-1 ").split()[0]) == uid:
            total += int(fields.get(b"Threads", b"1").strip())
    return total


def limit_processes(max_processes: int, dedicated_uid: bool) -> int | None:
    """RLIMIT_NPROC: exact for a dedicated uid; for a shared uid, ``max_processes`` above what it runs now.

    None for uid 0, which the kernel exempts from the limit.
    """
    if os.getuid() == 0 or not os.path.isdir("/proc/self"):
        return None
    limit = max_processes if dedicated_uid else _user_tasks(os.getuid()) + max_processes
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    return limit


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _capset(caps: int) -> bool:
    """Set effective, permitted and inheritable to ``caps`` (capabilities 0-31 only)."""
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = data[0].inheritable = caps
    return _libc().capset(ctypes.byref(_CapHeader(_CAP_VERSION_3, 0)), ctypes.byref(data)) == 0


def drop_capabilities() -> bool:
    """uid 0 without any capability, now and after exec; True when /proc/self/status confirms it."""
    for cap in range(_last_cap() + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    _capset(0)
    caps = _status()
    return all(int(caps.get(k, "1"), 16) == 0 for k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"))


def switch_user(uid: int) -> str | None:
    """As root, become ``uid`` (gid ``uid``, no groups) with CAP_DAC_READ_SEARCH alone; None, or why not.

    The capability lets the interpreter read its own files, wherever they are; it grants no write, no
    signal to other uids, no ptrace (so no other process's environ or memory). It is also ambient, so
    the programs a function runs (the interpreter again, typically) can start too. The single thread
    this runs in is the whole worker: capabilities are per thread.
    """
    keep = 1 << CAP_DAC_READ_SEARCH
    for cap in range(_last_cap() + 1):
        if cap != CAP_DAC_READ_SEARCH and not _prctl(PR_CAPBSET_DROP, cap):
            return f"cannot drop capability {cap} from the bounding set"
    if not (_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) and _prctl(PR_SET_KEEPCAPS, 1)):
        return "prctl refused to clear ambient capabilities or to keep capabilities across setuid"
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:
        return f"cannot become uid {uid}: {exc}"
    if not _capset(keep):
        return f"cannot keep CAP_DAC_READ_SEARCH alone: capset failed ({os.strerror(ctypes.get_errno())})"
    if not (_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH) and _prctl(PR_SET_KEEPCAPS, 0)):
        return "cannot make CAP_DAC_READ_SEARCH ambient"
    status = _status()
    ids = set(status.get("Uid", "").split()) | set(status.get("Gid", "").split())
    if ids != {str(uid)} or status.get("Groups", "") != "" or status.get("Threads") != "1":
        return f"/proc/self/status does not show uid/gid {uid} without groups in one thread"
    caps = {k: int(status.get(k, "-1"), 16) for k in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd")}
    if any(caps[k] != keep for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")) or caps["CapBnd"] & ~keep:
        return f"/proc/self/status shows capabilities beyond CAP_DAC_READ_SEARCH ({caps})"
    return None


def install_seccomp() -> str | None:
    """Load the filter (no_new_privs is set with it); None on success, else why it did not apply."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: libseccomp.so is missing
        return f"pyseccomp unavailable: {exc}"
    try:
        refuse = seccomp.ERRNO(errno.EPERM)
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in BLOCKED_SYSCALLS:
            if seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) < 0:
                if name in _REQUIRED:
                    return f"libseccomp does not know {name}()"
                continue
            rules.add_rule(refuse, name)
        for flag in _NAMESPACE_FLAGS:
            rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
        if seccomp.resolve_syscall(seccomp.Arch.NATIVE, "clone3") >= 0:
            rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # its flags sit in memory: make libc use clone()
        for option in _BLOCKED_PRCTL:
            rules.add_rule(refuse, "prctl", seccomp.Arg(0, seccomp.EQ, option))
        rules.load()
    except OSError as exc:
        return f"seccomp filter not loaded: {exc}"
    return None


def _refuse_network(event: str, args: Any) -> None:
    if event not in _NETWORK_EVENTS:
        return
    if event == "socket.__new__" and args[1] == socket.AF_UNIX:
        return
    if event == "socket.sendmsg" and args[1] is None:  # on a connected socket: a socketpair end
        return
    raise NetworkBlocked("network access is not allowed in the sandbox")


def confine(memory_mb: int, cpu_s: int, max_processes: int, dedicated_uid: bool,
            switch_to_uid: int | None = None) -> dict[str, Any]:
    """Apply every limit to this process; what applied, for the worker's hello.

    With ``switch_to_uid`` the worker first becomes that uid; if it cannot, the hello says why and
    nothing else is applied: such a worker must not serve.
    """
    applied: dict[str, Any] = {"switched": False, "read_all_files": False}
    if switch_to_uid is not None:
        why_not = switch_user(switch_to_uid)
        if why_not is not None:
            return {**applied, "uid": os.getuid(), "dedicated_uid": False, "switch_problem": why_not}
        dedicated_uid = True
        applied.update(switched=True, read_all_files=True)
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    applied.update({"uid": os.getuid(), "dedicated_uid": dedicated_uid,
                    "nproc": limit_processes(max_processes, dedicated_uid),
                    "subreaper": _prctl(PR_SET_CHILD_SUBREAPER, 1)})
    applied["capabilities_dropped"] = drop_capabilities() if os.getuid() == 0 and sys.platform == "linux" else None
    why_not = install_seccomp()
    applied["seccomp"] = why_not is None
    applied["seccomp_problem"] = why_not
    sys.addaudithook(_refuse_network)
    return applied
