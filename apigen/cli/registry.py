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
    checking = args.registry_command == "check"
    if checking:
        quiet_prefect(args.verbose)
    if checking or sources.mcp_blocks:
        prefect_api.start()  # a temporary server starts while the registry loads
    if sources.mcp_blocks:
        prefect_api.ready()  # McpServer blocks are read from the Prefect API as the registry loads
    registry = load_registry(sources)
    for error in [*registry.errors, *registry.warnings]:
        print(f"warning: {error}", file=sys.stderr)
    if not checking:
        return _list(registry, args.json)
    from apigen.config import ExecutionSettings
    from flows.registry_check import registry_check

    prefect_api.ready()
    summary, run_url = prefect_api.run_flow(registry_check, out=args.out, execution=ExecutionSettings(
        registry=sources, timeout_s=args.timeout, credentials_block=args.credentials_block,
        sandbox_env=sandbox_env(args), mcp_timeout_s=args.mcp_timeout))
    print(f"{summary['usable']} of {summary['apis']} APIs usable; "
          f"execution failures {summary['execution_failures'] or 'none'}; doc flags {summary['doc_flags'] or 'none'}"
          + (f"; not executed {summary['not_executed']}" if summary.get("not_executed") else ""))
    for line in summary.get("sandbox", ()):
        print(line)  # "sandbox isolation: network: ...; uid: ...": what the Python APIs really ran under
    _print_mcp_calls(args.out)
    print(f"report: {args.out} (and {os.path.splitext(args.out)[0]}.md)" + (f"; run: {run_url}" if run_url else ""))
    return 0


def _print_mcp_calls(report_path: str) -> None:
    """Each MCP tool's example call and its outcome, from the report just written (one line each)."""
    import json

    from api_registry.check import call_text, one_line, outcome_text

    with open(report_path, encoding="utf-8") as handle:
        tools = [r for r in json.load(handle)["apis"] if r["kind"] == "mcp"]
    for report in tools:
        print(one_line(f"mcp {'usable' if report['usable'] else 'unusable'}: {call_text(report)} {outcome_text(report)}"))


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
