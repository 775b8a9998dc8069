"""The argument parser: argparse that points at the closest option or subcommand after a typo, under
the usage of the subcommand that was typed (not the top-level one)."""

from __future__ import annotations

import argparse
import difflib
import re
from typing import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest ``word`` (``--flaw_rate`` -> ``--flaw-rate``), or None when none is near."""
    candidates = list(candidates)
    normal = {c.replace("_", "-").lower(): c for c in candidates}
    match = difflib.get_close_matches(word.replace("_", "-").lower(), list(normal), n=1, cutoff=0.6)
    return normal[match[0]] if match else None


class Parser(argparse.ArgumentParser):
    """Rejects unknown arguments in the parser that saw them (so the error shows that subcommand's
    usage), with a "did you mean" for options and for choices (subcommands included)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            message = f"unrecognized arguments: {' '.join(extras)}"
            typos = [extra.split("=")[0] for extra in extras if extra.startswith("-")]
            hints = [(typo, guess) for typo in typos if (guess := closest(typo, self._option_string_actions))]
            if len(hints) == 1:
                message += f"; did you mean {hints[0][1]}?"
            elif hints:
                message += "; did you mean " + ", ".join(f"{guess} (for {typo})" for typo, guess in hints) + "?"
            self.error(message)
        return namespace, extras

    def error(self, message: str):  # type: ignore[override]
        invalid = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if invalid:
            guess = closest(invalid.group(1), re.findall(r"'([^']*)'", invalid.group(2)))
            if guess:
                message += f"; did you mean {guess}?"
        super().error(message)
