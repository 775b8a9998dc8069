"""The sandboxed worker process: runs registered functions by keyword, one framed answer per request.

Started by ``SandboxPool`` with one end of a socketpair (``--fd``); stdin and stdout are /dev/null,
so prints go nowhere and nothing a function writes can pass for an answer. It confines itself
(``sandbox_confine``) and says what applied in a first ``hello`` frame. The parent names the module
and function from the registry (never from model text) and, for a functions file, sends its source;
arguments arrive as JSON and are passed as keywords. After every call the worker kills every process
the call left behind, and each answer echoes the request's id and nonce.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import enum
import importlib
import importlib.util
import math
import os
import signal
import socket
import sys
import traceback
from typing import Any

from api_registry.sandbox_confine import NetworkBlocked, confine
from api_registry.sandbox_processes import kill_descendants
from api_registry.sandbox_protocol import MAX_FRAME, Channel, ProtocolViolation, encode

_MODULE_CACHE: dict[str, Any] = {}


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


def _load_file(module: str, file: str, source: str | None):
    """A module from a functions file: from the source the parent sent (the sandbox uid may not be able
    to read the user's file), else from the file itself."""
    if source is None:
        spec = importlib.util.spec_from_file_location(module, file)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[module] = mod
        spec.loader.exec_module(mod)
        return mod
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(module, loader=None, origin=file))
    mod.__file__ = file
    sys.modules[module] = mod
    exec(compile(source, file, "exec"), mod.__dict__)  # noqa: S102 - registered code, not model text
    return mod


def _resolve(module: str, file: str | None, qualname: str, source: str | None = None):
    key = file or module
    if key not in _MODULE_CACHE:
        _MODULE_CACHE[key] = _load_file(module, file, source) if file else importlib.import_module(module)
    target = _MODULE_CACHE[key]
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _run(request: dict) -> dict:
    try:
        func = _resolve(request["module"], request.get("file"), request["qualname"], request.get("source"))
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


def _answer(request: dict, me: int) -> bytes:
    try:
        response = _run(request)
    except MemoryError:
        response = {"ok": False, "code": "memory_limit", "message": "the call exceeded the sandbox memory limit"}
    except BaseException:
        if os.getpid() != me:
            os._exit(0)
        raise
    if os.getpid() != me:  # a forked child came back out of the function: it must not answer
        os._exit(0)
    kill_descendants(me)
    response.update(id=request.get("id"), nonce=request.get("nonce"))
    frame = encode(response)
    if len(frame) > MAX_FRAME:
        frame = encode({"ok": False, "code": "result_too_large", "message": f"the result exceeds {MAX_FRAME} bytes",
                        "id": request.get("id"), "nonce": request.get("nonce")})
    return frame


def serve(channel: Channel) -> None:
    me = os.getpid()
    while True:
        try:
            request = channel.read()
        except (EOFError, OSError, ProtocolViolation):
            return
        channel.sock.sendall(_answer(request, me))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-s", type=int, default=120)
    parser.add_argument("--max-processes", type=int, default=50)
    parser.add_argument("--dedicated-uid", action="store_true")
    parser.add_argument("--switch-to-uid", type=int, default=None)
    args = parser.parse_args()
    sock = socket.socket(fileno=args.fd)
    sock.set_inheritable(False)  # programs a function runs never get the channel,
    os.register_at_fork(after_in_child=sock.close)  # nor do processes it forks
    sys.setrecursionlimit(5000)
    applied = confine(args.memory_mb, args.cpu_s, args.max_processes, args.dedicated_uid, args.switch_to_uid)
    applied.update(pid=os.getpid(), cwd=os.getcwd(), home=os.environ.get("HOME"))
    me = os.getpid()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _stop(me))
    channel = Channel(sock, blocking=True)
    channel.send({"hello": applied})
    if applied.get("switch_problem"):  # still (partly) root: say why, never serve
        return
    serve(channel)
    kill_descendants(me)


def _stop(me: int) -> None:
    """SIGTERM (the run's watchdog after a ``kill -9`` of the run): take every descendant along."""
    if os.getpid() == me:
        kill_descendants(me)
    os._exit(143)


if __name__ == "__main__":
    main()
