"""``apigen``: the command line. Generate datasets, verify existing ones, run the simulated LLM endpoint.

One module per subcommand, each with ``NAME``, ``register(subparsers)``, ``run(args)`` and
``REAPS_ORPHANS`` (whether it may leave servers behind after a kill); a new command is a new module
added to ``COMMANDS``.

Exit codes: 0 success, 1 the run failed, 2 bad usage or configuration (nothing was started).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, Sequence

from apigen.cli import blocks, generate, prefect_api, registry, server, sim_llm, verify
from apigen.cli.common import UsageError
from apigen.cli.parser import Parser

COMMANDS = (generate, verify, registry, blocks, server, sim_llm)
__all__ = ["main", "build_parser", "UsageError", "version"]


def version() -> str:
    """The installed package's version; pyproject.toml's when apigen runs from a source tree uninstalled."""
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        return installed("apigen")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="apigen", description="Generate verified function-calling datasets (APIGen).")
    parser.add_argument("--version", action="version", version=f"apigen {version()}",
                        help="print apigen's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(c.NAME for c in COMMANDS) + "}")
    for command in COMMANDS:
        command.register(sub)
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM: cancel the LLM requests in flight at once (the task threads waiting on them
    then finish, so nothing blocks the exit), then unwind; atexit stops the temporary servers."""
    from apigen.llm import cancel_in_flight

    cancel_in_flight()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Called without ``argv`` (the ``apigen`` script, ``python -m apigen.cli``) it is
    the process's entry point, owns the process's garbage collector (``apigen.gc_policy``) and ends the
    process itself (see ``_exit_without_teardown``)."""
    if argv is None:
        from apigen import gc_policy

        gc_policy.own_process()
    code = _main(argv)
    if argv is None and not os.environ.get("APIGEN_FULL_TEARDOWN"):  # that variable: the normal shutdown
        _exit_without_teardown(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.NAME == args.command)
    from apigen.llm import reset_interrupt
    from apigen.redaction import install_log_redaction, redact

    install_log_redaction()  # every log record of the run is masked (keys an endpoint may echo)
    reset_interrupt()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
    # Runs here often have no internet; Prefect's telemetry would only log failures. The user can opt in.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without PREFECT_API_URL, Prefect starts a temporary server; on small machines that takes longer
    # than its 20-second default, and the run would fail before it began.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if command.REAPS_ORPHANS:
        from apigen import orphan_reaper

        orphan_reaper.start_once()  # stops Prefect's temporary server and llama.cpp even after a kill -9
    try:
        return command.run(args)
    except UsageError as exc:
        print(f"apigen {args.command}: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        from apigen.llm import cancel_in_flight, cancelled_requests

        cancel_in_flight()
        print(f"interrupted; {cancelled_requests()} LLM request(s) cancelled; no complete dataset was written",
              file=sys.stderr)
        return 130
    except Exception as exc:  # a failed run: one clear line; the traceback with -v
        if getattr(args, "verbose", False):
            raise
        print(f"apigen {args.command}: the run failed: {type(exc).__name__}: {redact(str(exc))}\n"
              "(nothing half-written is left looking complete; run again with -v for the traceback)", file=sys.stderr)
        return 1
    finally:
        prefect_api.close()  # stops a temporary server; the environment is as before


def _exit_without_teardown(code: int) -> None:
    """End the process the way the interpreter would, minus its final teardown: a full garbage
    collection of every module's objects (Prefect, pyarrow, litellm), 1-3 s that changes nothing on
    disk. Non-daemon threads are joined and atexit handlers run (Prefect's log and event flushes,
    temporary files, the logging shutdown) exactly as in a normal exit."""
    import atexit

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
