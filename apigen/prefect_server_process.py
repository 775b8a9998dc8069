"""The process of a Prefect server apigen starts (a run's temporary server, ``apigen server start``):
uvicorn's own command line, in a process whose garbage collector apigen owns (``apigen.gc_policy``).

The server's imports are about 5 s of CPU on a small machine, and a run waits for them. With the
default collector settings a quarter of that went to collections walking the modules just imported
(2.6 s -> 2.0 s to import the server application on the 2-core development machine). Once the
application's modules are loaded, they are frozen out of the collections made while the server
answers the run's task-state writes.
"""

from __future__ import annotations

import sys

from apigen import gc_policy

APP = "prefect.server.api.server:create_app"  # the application factory given to uvicorn


def main() -> None:
    gc_policy.own_process()
    __import__(APP.partition(":")[0])
    gc_policy.freeze_loaded()
    from uvicorn.main import main as uvicorn_main

    uvicorn_main(prog_name="uvicorn")  # reads sys.argv, as ``python -m uvicorn`` does; exits itself


if __name__ == "__main__":
    sys.exit(main())
