"""The sandboxed worker process: runs registered functions by keyword, one JSON line per call.

Started by ``SandboxPool``; it applies its own memory, CPU and network limits before serving. The parent names the module
and function from the registry (never from model text); arguments arrive as JSON and are passed
as keywords. Function output to stdout is diverted to stderr so it cannot corrupt the protocol.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import decimal
import enum
import importlib
import importlib.util
import json
import math
import os
import resource
import socket
import sys
import traceback
from typing import Any

_MODULE_CACHE: dict[str, Any] = {}


class NetworkBlocked(OSError):
    pass


CLONE_NEWNET = 0x40000000


def apply_limits(memory_mb: int, cpu_s: int) -> None:
    """Address-space and CPU limits, and an empty network namespace where the OS grants one."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)
    except Exception:
        pass  # unprivileged: the socket guard below still refuses connections


def _block_network() -> None:
    """Refuse sockets in this process; the network namespace (when available) already has none."""
    def refuse(*_args, **_kwargs):
        raise NetworkBlocked("network access is not allowed in the sandbox")
    socket.socket = refuse  # type: ignore[misc,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


def to_json_value(value: Any, depth: int = 0) -> Any:
    """Convert a result to JSON types; raise TypeError for what has no faithful JSON form."""
    if depth > 50:
        raise TypeError("result nests too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise TypeError(f"result holds a non-finite float {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [to_json_value(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json_value(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): to_json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return to_json_value(value.value, depth + 1)
    raise TypeError(f"result of type {type(value).__name__} has no JSON form")


def _resolve(module: str, file: str | None, qualname: str):
    key = file or module
    if key not in _MODULE_CACHE:
        if file:
            spec = importlib.util.spec_from_file_location(module, file)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[module] = mod
            spec.loader.exec_module(mod)
        else:
            mod = importlib.import_module(module)
        _MODULE_CACHE[key] = mod
    target = _MODULE_CACHE[key]
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _run(request: dict) -> dict:
    try:
        func = _resolve(request["module"], request.get("file"), request["qualname"])
    except Exception as exc:
        return {"ok": False, "code": "import_error", "message": f"{type(exc).__name__}: {exc}"}
    try:
        result = func(**request["arguments"])
    except MemoryError:
        return {"ok": False, "code": "memory_limit", "message": "the call exceeded the sandbox memory limit"}
    except NetworkBlocked as exc:
        return {"ok": False, "code": "network_blocked", "message": str(exc)}
    except RecursionError:
        return {"ok": False, "code": "execution_error", "message": "RecursionError: maximum recursion depth exceeded"}
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {frames[-1].name}:{frames[-1].lineno})" if frames else ""
        return {"ok": False, "code": "execution_error", "message": f"{type(exc).__name__}: {exc}"[:500] + where}
    try:
        return {"ok": True, "result": to_json_value(result)}
    except TypeError as exc:
        return {"ok": False, "code": "result_not_json", "message": str(exc)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-s", type=int, default=120)
    args = parser.parse_args()
    apply_limits(args.memory_mb, args.cpu_s)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints inside functions go to stderr
    sys.setrecursionlimit(5000)
    _block_network()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            response = _run(request)
        except MemoryError:
            response = {"ok": False, "code": "memory_limit", "message": "the call exceeded the sandbox memory limit"}
        response["id"] = request.get("id")
        protocol.write(json.dumps(response, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
