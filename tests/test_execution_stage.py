"""Stage 2 through the executor: only registered implementations run, arguments are data, never code."""


import pytest

from api_registry.registry import bundled_registry
from api_registry.sandbox import SandboxLimits, SandboxPool
from apigen.models import FunctionCall
from apigen.verify.execution import CallExecutor, check_execution


@pytest.fixture(scope="module")
def executor():
    registry = bundled_registry()
    with SandboxPool(size=2, limits=SandboxLimits(timeout_s=2.0)) as pool:
        yield CallExecutor(pool, registry.target, registry.get)


def test_unregistered_names_are_never_run(executor):
    for name in ("system", "os.system", "eval", "__import__", "exec", "subprocess.run"):
        result = check_execution([FunctionCall(name=name, arguments={"command": "echo hi"})], executor)
        assert result.status == "skipped" and result.codes == ["no_implementation"]
    assert check_execution([FunctionCall(name="factorial", arguments={"n": 5})], executor).results == (120,)


def test_code_in_a_string_argument_stays_a_string(executor, tmp_path):
    marker = tmp_path / "pwned"
    payloads = [f"__import__('os').system('touch {marker}')", f"'; import os; os.system('touch {marker}'); '",
                f"{{{{ __import__('pathlib').Path('{marker}').touch() }}}}"]
    text_fn = next(f for f in bundled_registry().functions.values()
                   if f.spec.required and all(f.spec.properties[p].get("type") == "string" for p in f.spec.required)
                   and len(f.spec.required) == 1 and f.spec.category == "text")
    for payload in payloads:
        check_execution([FunctionCall(name=text_fn.name, arguments={text_fn.spec.required[0]: payload})], executor)
    assert not marker.exists()


def test_a_tool_that_only_shares_a_name_is_not_run(executor):
    result = check_execution([FunctionCall(name="factorial", arguments={"number": 5, "precise": True})], executor)
    assert result.status == "skipped" and "another signature" in result.errors[0].message


def test_error_results_and_exceptions_fail_with_codes(executor):
    raising = next(f for f in bundled_registry().functions.values() if f.raises)
    result = check_execution([FunctionCall(name=raising.name, arguments=raising.raises[0])], executor)
    assert result.status == "failed" and result.codes == ["execution_error"] and result.errors[0].call == 0


def test_results_are_cached_by_function_and_canonical_arguments(executor):
    before = executor.executed
    for arguments in ({"a": 12, "b": 18}, {"b": 18, "a": 12}, {"a": 12, "b": 18}):
        assert check_execution([FunctionCall(name="greatest_common_divisor", arguments=arguments)], executor).results == (6,)
    assert executor.executed == before + 1
