"""The command line seen by a new user: version, typo hints under the subcommand's usage, help on every
option, one list separator for --styles and --stages. No Prefect server: nothing here starts a run."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from apigen.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apigen.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_version_is_the_packages():
    try:
        expected = version("apigen")
    except PackageNotFoundError:
        expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"apigen {expected}"


@pytest.mark.parametrize("args, typo, hint, usage", [
    (["generate", "--simulate", "--flaw_rate", "0.3"], "--flaw_rate 0.3", "--flaw-rate", "usage: apigen generate"),
    (["verify", "x.jsonl", "--batch_size", "10"], "--batch_size 10", "--batch-size", "usage: apigen verify"),
    (["registry", "check", "--credential-block", "b"], "--credential-block b", "--credentials-block",
     "usage: apigen registry check"),
])
def test_typod_option_names_the_close_match_under_the_subcommands_usage(args, typo, hint, usage):
    result = cli(*args)
    assert result.returncode == 2
    assert f"unrecognized arguments: {typo}; did you mean {hint}?" in result.stderr
    assert result.stderr.startswith(usage)  # the subcommand's usage, not "usage: apigen [-h] [--version] ..."


@pytest.mark.parametrize("args, hint", [(["generat"], "generate"), (["sim_llm"], "sim-llm"),
                                        (["server", "stauts"], "status"),
                                        (["generate", "--structured", "jsonschema"], "json_schema")])
def test_typod_subcommand_or_choice_names_the_closest(args, hint):
    result = cli(*args)
    assert result.returncode == 2 and f"did you mean {hint}?" in result.stderr, result.stderr


def test_an_unknown_option_with_nothing_close_gets_no_hint():
    result = cli("generate", "--zzzz")
    assert result.returncode == 2 and "unrecognized arguments: --zzzz" in result.stderr
    assert "did you mean" not in result.stderr


def _parsers(parser: argparse.ArgumentParser, path: str = "apigen"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_of_every_subcommand_has_help():
    missing = [f"{path} {'/'.join(action.option_strings) or action.dest}"
               for path, parser in _parsers(build_parser()) for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and not (action.help or "").strip()]
    assert not missing, f"options without help: {missing}"
    paths = {path for path, _ in _parsers(build_parser())}
    assert {"apigen generate", "apigen verify", "apigen registry check", "apigen sim-llm"} <= paths
    assert {c.NAME for c in COMMANDS} == {p.split()[1] for p in paths if p != "apigen"}


def test_stages_help_lists_the_choices():
    result = cli("verify", "--help")
    assert result.returncode == 0
    stages_help = " ".join(result.stdout.split("\n  --stages", 1)[1].split("\n  --functions")[0].split())
    assert "format, execution, semantic" in stages_help and "commas and/or spaces" in stages_help


@pytest.mark.parametrize("given", [["format,execution"], ["format", "execution"], ["format,", "execution"],
                                   ["format, execution"]])
def test_stages_take_commas_or_spaces(given):
    from apigen.cli.verify import stages_of

    assert stages_of(build_parser().parse_args(["verify", "d.jsonl", "--stages", *given]).stages) == \
        ("format", "execution")


def test_unknown_stage_is_a_usage_error_naming_the_choices(capsys, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("")
    assert main(["verify", str(data), "--stages", "format", "vibes"]) == 2
    assert "unknown stage(s) vibes; choose from format, execution, semantic" in capsys.readouterr().err


@pytest.mark.parametrize("given", [["simple,parallel"], ["simple", "parallel"], ["simple, parallel"]])
def test_styles_take_the_same_separators(given):
    from apigen.cli.generate import config_from_args

    args = build_parser().parse_args(["generate", "--simulate", "--styles", *given])
    assert [str(getattr(s, "value", s)) for s in config_from_args(args, None, "m", True).styles] == ["simple", "parallel"]


def test_the_input_file_may_follow_stages(capsys, tmp_path):
    """``--stages`` takes several values, so a file after it lands there first; verify takes it back."""
    missing = tmp_path / "nowhere.jsonl"
    assert main(["verify", "--stages", "format", "execution", str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err  # read as the input, not as a stage
    assert main(["verify", "--stages", "format"]) == 2
    assert "the input file is missing" in capsys.readouterr().err
