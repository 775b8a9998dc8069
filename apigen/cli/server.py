"""``apigen server start|status|stop``: a Prefect server in the background that later runs reuse."""

from __future__ import annotations

import argparse
import sys

from apigen.cli.common import UsageError

NAME = "server"
REAPS_ORPHANS = False  # the server it starts is meant to outlive the command


def register(sub: argparse._SubParsersAction) -> None:
    srv = sub.add_parser(NAME, help="a Prefect server in the background that later runs reuse (starts in seconds)")
    srv_sub = srv.add_subparsers(dest="server_command", required=True, metavar="{start,status,stop}")
    start = srv_sub.add_parser("start", help="start it (no-op if it is up); runs with the same PREFECT_HOME use it")
    start.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    start.add_argument("--port", type=int, help="port (default: a free one, recorded under PREFECT_HOME)")
    start.add_argument("--no-ui", action="store_true", help="serve the API only, not Prefect's web UI")
    srv_sub.add_parser("status", help="print its address; exit code 1 if none is running")
    srv_sub.add_parser("stop", help="stop it")


def run(args: argparse.Namespace) -> int:
    from apigen import local_server

    home = local_server.prefect_home()
    if args.server_command == "stop":
        stopped = local_server.stop_background(home)
        print(f"stopped the Prefect server at {stopped.ui_url} (pid {stopped.pid})" if stopped
              else f"no apigen Prefect server was running for PREFECT_HOME={home}")
        return 0
    if args.server_command == "status":
        info = local_server.running(home)
        if info is None:
            print(f"no apigen Prefect server is running for PREFECT_HOME={home}")
            return 1
        print(f"running: API {info.api_url}, UI {info.ui_url}, pid {info.pid}, PREFECT_HOME={home}")
        return 0
    try:
        info, started = local_server.start_background(home, host=args.host, port=args.port, ui=not args.no_ui)
    except local_server.ServerError as exc:
        raise UsageError(str(exc)) from None
    print(f"{'started' if started else 'already running'}: API {info.api_url}, UI {info.ui_url}, pid {info.pid}; "
          f"apigen runs with PREFECT_HOME={home} use it until `apigen server stop`")
    if configured := local_server.configured_api_url():
        print(f"note: PREFECT_API_URL is configured ({configured}); runs use that server instead", file=sys.stderr)
    return 0
