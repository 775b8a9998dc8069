"""How long a misconfigured ``apigen generate`` takes to refuse, as a user meets it (a fresh process).

Starts two llama-servers (the ``local`` extra), one of them demanding a key, and times the CLI's
exit for each misconfiguration the preflight catches. Prints seconds, exit code and the error line.

    python benchmarks/bench_preflight.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from apigen.local_llm import LocalServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _time(label: str, args: list[str], env: dict[str, str]) -> None:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "apigen.cli", "generate", *args, "--out", "/tmp/bench-preflight"],
                            env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    line = next((x for x in result.stderr.splitlines() if "error:" in x), result.stderr.strip()[-200:])
    print(f"{label:<34} exit {result.returncode}  {elapsed:5.1f} s  {line[:160]}")


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "APIGEN_LLM_API_KEY", "APIGEN_MODEL")}
    with LocalServer(parallel=1, ctx_size=2048) as open_server, \
            LocalServer(parallel=1, ctx_size=2048, extra_args=("--api-key", "right-key")) as keyed:
        _time("wrong port", ["--model", open_server.model, "--api-base", f"http://127.0.0.1:{_free_port()}/v1"], env)
        _time("wrong model name", ["--model", "openai/no-such-model", "--api-base", open_server.api_base], env)
        _time("wrong judge model", ["--model", open_server.model, "--api-base", open_server.api_base,
                                    "--judge-model", "openai/no-such-judge"], env)
        _time("key the server refuses", ["--model", keyed.model, "--api-base", keyed.api_base],
              {**env, "APIGEN_LLM_API_KEY": "wrong-key"})
        _time("no key for a server that needs one", ["--model", keyed.model, "--api-base", keyed.api_base], env)
        _time("no key for a hosted provider", ["--model", "openai/gpt-4o-mini"], env)


if __name__ == "__main__":
    main()
