"""Create the pass-rate automation (``pass-rate-drop.yaml`` beside this file) on the configured Prefect server.

    python deployments/automations/install.py --notify-block slack-webhook/apigen-alerts [--below 80]

The notification block (``<block-type-slug>/<name>``, as ``prefect block ls`` shows it) must exist; its id
fills the definition's ``NOTIFY_BLOCK_ID``. ``--below`` (a multiple of 10) sets the threshold in percent.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

DEFINITION = Path(__file__).with_name("pass-rate-drop.yaml")
FLOOR_LABEL = "apigen.pass-rate-floor"


def definition(block_document_id: str, below: int = 80) -> dict[str, Any]:
    """The automation as the API takes it: the YAML with the block id and the floors under ``below`` %."""
    if below % 10 or not 10 <= below <= 100:
        raise ValueError(f"--below must be a multiple of 10 between 10 and 100, got {below}")
    spec = yaml.safe_load(DEFINITION.read_text())
    spec["trigger"]["match"][FLOOR_LABEL] = [str(floor) for floor in range(0, below, 10)]
    spec["name"] = f"{spec['name']} (below {below}%)"
    for action in spec["actions"]:
        if action.get("block_document_id") == "NOTIFY_BLOCK_ID":
            action["block_document_id"] = block_document_id
    return spec


def install(notify_block: str, below: int = 80) -> str:
    """Create the automation; return its id."""
    from prefect.automations import Automation
    from prefect.blocks.core import Block

    slug, _, name = notify_block.partition("/")
    block = Block.load(f"{slug}/{name}")
    automation = Automation.model_validate(definition(str(block._block_document_id), below))
    return str(automation.create().id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notify-block", required=True, help="notification block, <block-type-slug>/<name>")
    parser.add_argument("--below", type=int, default=80, help="alert when a pass rate is below this percent (default 80)")
    args = parser.parse_args()
    print(f"created automation {install(args.notify_block, args.below)}")


if __name__ == "__main__":
    main()
