"""``apigen registry list|check``: what the API registry holds, and which of its APIs really run."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from apigen.cli import prefect_api
from apigen.cli.common import SANDBOX_ENV_HELP, add_registry_sources, add_verbose, quiet_prefect, registry_sources, sandbox_env

NAME = "registry"
REAPS_ORPHANS = True


def register(sub: argparse._SubParsersAction) -> None:
    reg = sub.add_parser(NAME, help="list or check the APIs in the registry")
    reg_sub = reg.add_subparsers(dest="registry_command", required=True, metavar="{list,check}")
    listing = reg_sub.add_parser("list", help="categories, counts and sources; --json for one object per API")
    add_registry_sources(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per API (name, category, source, kind)")
    check = reg_sub.add_parser("check", help="execute every API once and report which are usable (also a Prefect flow)")
    add_registry_sources(check)
    check.add_argument("--out", default="registry_report.json",
                       help="report path (a .md twin is written beside it; default registry_report.json)")
    check.add_argument("--credentials-block", help="name of an ApiCredentials block holding REST API keys")
    check.add_argument("--timeout", type=float, default=5.0, help="per-call timeout in seconds (default 5)")
    check.add_argument("--sandbox-env", nargs="+", default=[], metavar="NAME", help=SANDBOX_ENV_HELP)
    add_verbose(check)


def run(args: argparse.Namespace) -> int:
    from api_registry.sources import load_registry

    sources = registry_sources(args)
    registry = load_registry(sources)
    for error in [*registry.errors, *registry.warnings]:
        print(f"warning: {error}", file=sys.stderr)
    if args.registry_command == "list":
        return _list(registry, args.json)
    from apigen.config import ExecutionSettings

    quiet_prefect(args.verbose)
    prefect_api.start()
    from flows.registry_check import registry_check

    prefect_api.ready()
    summary, run_url = prefect_api.run_flow(registry_check, out=args.out, execution=ExecutionSettings(
        registry=sources, timeout_s=args.timeout, credentials_block=args.credentials_block,
        sandbox_env=sandbox_env(args), mcp_timeout_s=args.mcp_timeout))
    print(f"{summary['usable']} of {summary['apis']} APIs usable; "
          f"execution failures {summary['execution_failures'] or 'none'}; doc flags {summary['doc_flags'] or 'none'}")
    for line in summary.get("sandbox", ()):
        print(line)  # "sandbox isolation: network: ...; uid: ...": what the Python APIs really ran under
    print(f"report: {args.out} (and {os.path.splitext(args.out)[0]}.md)" + (f"; run: {run_url}" if run_url else ""))
    return 0


def _list(registry: Any, as_json: bool) -> int:
    import json
    from collections import Counter

    rows = ([{"name": f.name, "category": f.spec.category, "source": f.spec.source, "kind": "python"}
             for f in registry.functions.values()]
            + [{"name": r.name, "category": r.spec.category, "source": r.spec.source, "kind": "rest"}
               for r in registry.rest.values()]
            + [{"name": m.name, "category": m.spec.category, "source": m.spec.source, "kind": "mcp",
                "read_only": m.read_only, "destructive": m.destructive, "runs": registry.refusal(m.name) is None}
               for m in registry.mcp.values()]
            + [{"name": s.name, "category": s.category, "source": s.source, "kind": "documented"}
               for s in registry.documented.values()])
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    kinds = Counter(r["kind"] for r in rows)
    refused = sum(1 for r in rows if r.get("runs") is False)
    print(f"{len(rows)} APIs: {kinds.get('python', 0)} Python functions, {kinds.get('rest', 0)} REST endpoints, "
          f"{kinds.get('mcp', 0)} MCP tools"
          + (f" ({refused} destructive, not run without --allow-destructive)" if refused else "")
          + f", {kinds.get('documented', 0)} documented only; {len(registry.categories())} categories of executable APIs")
    by_category = Counter((r["category"] or "uncategorized", r["kind"]) for r in rows)
    sources = Counter(r["source"] or "?" for r in rows)
    width = max((len(c) for c, _ in by_category), default=8)
    print(f"{'category':<{width}}  python  rest  mcp  documented")
    for category in sorted({c for c, _ in by_category}):
        print(f"{category:<{width}}  {by_category[(category, 'python')]:>6}  {by_category[(category, 'rest')]:>4}"
              f"  {by_category[(category, 'mcp')]:>3}  {by_category[(category, 'documented')]:>10}")
    print("sources: " + ", ".join(f"{s} {n}" for s, n in sources.most_common()))
    return 0
