"""What the pool sets up around each sandbox worker, and the one-line account of what applied.

* Environment: an allow-list (PATH, locale, TZ, what the interpreter needs, names the user lists),
  never the parent's secrets; HOME and TMPDIR are the worker's scratch directory.
* The parent's /proc entries: the pool makes its own process non-dumpable, so a worker without
  CAP_SYS_PTRACE cannot read ``/proc/<parent>/environ`` or its memory.
* Identity: a pool running as root gives each worker a dedicated unprivileged uid/gid (no passwd
  entry needed); the worker then can write only its scratch directory and world-writable places,
  and cannot signal or read other processes. Where that uid cannot run the interpreter (a 0700
  /root), the worker starts as root and switches to it, keeping only the right to read every file;
  where it cannot even switch, it keeps uid 0 without any capability. The report says which.
* Processes: a pids cgroup per worker where a writable pids hierarchy exists (exact bound);
  otherwise the worker's RLIMIT_NPROC (``sandbox_confine``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from dataclasses import dataclass
from typing import Any, Sequence

from api_registry.sandbox_confine import set_dumpable

_PASSED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ")
_DEDICATED_BASE = 0x6000_0000  # far above any login or system uid; 4096 per process, by pid
_worker_numbers = itertools.count()
_pool_numbers = itertools.count()


def worker_environment(scratch: str, user_names: Sequence[str] = ()) -> dict[str, str]:
    """The allow-listed environment of a worker."""
    env = {name: value for name, value in os.environ.items()
           if name in _PASSED_ENV or name.startswith("LC_") or name in user_names}
    env.setdefault("PATH", os.defpath)
    env.update(HOME=scratch, TMPDIR=scratch, PYTHONNOUSERSITE="1",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return env


def protect_parent() -> bool:
    """Make this (the pool's) process non-dumpable; True where that applied."""
    try:
        return set_dumpable(False)
    except (OSError, AttributeError):
        return False


def _mapped(map_file: str, ident: int) -> bool:
    try:
        with open(map_file) as handle:
            ranges = [tuple(int(x) for x in line.split()) for line in handle if line.strip()]
    except OSError:
        return False
    return any(inside <= ident < inside + count for inside, _outside, count in ranges)


def dedicated_id() -> tuple[int | None, str]:
    """A fresh uid (= gid) for the next worker, or None and why there is none."""
    if os.geteuid() != 0:
        return None, "the pool does not run as root"
    ident = _DEDICATED_BASE + (((os.getpid() & 0xFFFF) << 12) | (next(_worker_numbers) & 0xFFF))
    if not (_mapped("/proc/self/uid_map", ident) and _mapped("/proc/self/gid_map", ident)):
        return None, f"uid {ident} is not mapped in this user namespace"
    return ident, ""


def make_scratch(base: str, name: str, owner: int | None) -> str:
    """A 0700 directory for one worker, owned by its uid."""
    path = os.path.join(base, name)
    os.mkdir(path, 0o700)
    if owner is not None:
        os.chown(path, owner, owner)
    return path


def remove_tree(path: str) -> None:
    """Remove a scratch tree even where a function left unreadable or unwritable directories in it."""
    def retry(function: Any, target: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(target), 0o700)
            if os.path.isdir(target) and not os.path.islink(target):
                os.chmod(target, 0o700)
            function(target)
        except OSError:
            pass
    if os.path.lexists(path):
        shutil.rmtree(path, onerror=retry)


def _writable_pids_hierarchy() -> tuple[str, bool] | None:
    """(this process's directory in a pids cgroup hierarchy, is cgroup v2) where it is writable."""
    try:
        with open("/proc/self/cgroup") as handle:
            memberships = [line.rstrip("\n").split(":", 2) for line in handle if line.count(":") >= 2]
        with open("/proc/self/mountinfo") as handle:
            mounts = [line.split(" - ", 1) for line in handle if " - " in line]
    except OSError:
        return None
    for hierarchy, controllers, path in memberships:
        v2 = hierarchy == "0" and controllers == ""
        if not v2 and "pids" not in controllers.split(","):
            continue
        for left, right in mounts:
            fields, tail = left.split(), right.split()
            if len(fields) < 5 or len(tail) < 3:
                continue
            if (tail[0] != "cgroup2") if v2 else (tail[0] != "cgroup" or "pids" not in tail[2].split(",")):
                continue
            root, point = fields[3], fields[4]
            if root != "/" and path != root and not path.startswith(root + "/"):
                continue
            directory = os.path.join(point, path[len(root):].lstrip("/") if root != "/" else path.lstrip("/"))
            if v2:
                try:
                    with open(os.path.join(directory, "cgroup.subtree_control")) as handle:
                        if "pids" not in handle.read().split():
                            continue
                except OSError:
                    continue
            if os.access(directory, os.W_OK):
                return directory, v2
    return None


class PidsCgroup:
    """One pids cgroup per worker (``pids.max`` = the process bound), under one directory per pool."""

    def __init__(self, base: str, limit: int):
        self.base, self.limit = base, limit

    @classmethod
    def create(cls, limit: int) -> "PidsCgroup | None":
        found = _writable_pids_hierarchy()
        if found is None:
            return None
        directory, v2 = found
        base = os.path.join(directory, f"apigen-sandbox-{os.getpid()}-{next(_pool_numbers)}")
        try:
            os.mkdir(base)
            if v2:
                _write(os.path.join(base, "cgroup.subtree_control"), "+pids")
        except OSError:
            return None
        return cls(base, limit)

    def enter(self, name: str, pid: int) -> bool:
        """Put the (not yet serving) worker ``pid`` into its own bounded cgroup."""
        path = os.path.join(self.base, name)
        try:
            os.mkdir(path)
            _write(os.path.join(path, "pids.max"), str(self.limit))
            _write(os.path.join(path, "cgroup.procs"), str(pid))
        except OSError:
            return False
        return True

    def leave(self, name: str) -> None:
        try:
            os.rmdir(os.path.join(self.base, name))
        except OSError:
            pass  # still busy with dying processes: close() tries again

    def close(self) -> None:
        for entry in os.listdir(self.base) if os.path.isdir(self.base) else ():
            if os.path.isdir(os.path.join(self.base, entry)):
                self.leave(entry)
        try:
            os.rmdir(self.base)
        except OSError:
            pass


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


@dataclass(frozen=True)
class Isolation:
    """What isolation a pool's workers really run under; ``describe()`` is the line the run logs."""

    network: str
    uid: str
    processes: str
    scratch: str
    environment: str
    parent_proc: str

    def describe(self) -> str:
        return (f"sandbox isolation: network: {self.network}; uid: {self.uid}; processes: {self.processes}; "
                f"scratch: {self.scratch}; environment: {self.environment}; parent /proc: {self.parent_proc}")


def account(hello: dict[str, Any], *, uid_note: str, cgroup: PidsCgroup | None, max_processes: int,
            scratch_base: str, env_names: Sequence[str], parent_protected: bool) -> Isolation:
    """The isolation a worker's hello proves, with what the pool set up around it.

    ``uid_note`` says why a more isolated identity did not apply.
    """
    uid = hello.get("uid")
    if hello.get("seccomp"):
        network = "seccomp (socket() refused in the worker and every process it starts)"
        tracking = "session + subreaper (setsid refused)"
    else:
        network = f"python-guard-only ({hello.get('seccomp_problem')}; subprocesses can reach the network)"
        tracking = "subreaper tree (setsid not refused)"
    if hello.get("dedicated_uid") and hello.get("switched"):
        identity = (f"dedicated {uid} (switched in the worker; it keeps read access to all files, CAP_DAC_READ_SEARCH "
                    f"only, because the interpreter is not readable by other users: {uid_note})")
    elif hello.get("dedicated_uid"):
        identity = f"dedicated {uid}"
    elif uid == 0:
        dropped = "all capabilities dropped" if hello.get("capabilities_dropped") else "capabilities NOT dropped"
        identity = f"same as parent (0, {dropped}; no dedicated uid: {uid_note})"
    else:
        identity = f"same as parent ({uid})"
    if cgroup is not None:
        bound = f"at most {max_processes} (pids cgroup)"
    elif hello.get("nproc") is not None:
        bound = (f"at most {hello['nproc']} (RLIMIT_NPROC of the dedicated uid)" if hello.get("dedicated_uid")
                 else f"about {max_processes} beyond what uid {uid} already runs (RLIMIT_NPROC {hello['nproc']}, "
                      "shared with the uid's other processes)")
    else:
        bound = "not bounded (uid 0 and no writable pids cgroup)"
    return Isolation(network=network, uid=identity, processes=f"{tracking}, {bound}",
                     scratch=f"private 0700 directory per worker under {scratch_base} (cwd, HOME, TMPDIR)",
                     environment="allow-list: " + ", ".join(sorted(env_names)),
                     parent_proc="not dumpable" if parent_protected else "readable by same-uid workers")
