"""Bad params fail at start: non-zero exit, one clear line with the line number on stderr."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_to_exit


def first_line(stderr: str) -> str:
    return stderr.splitlines()[0] if stderr else ""


def test_syntax_error_yaml_params(tmp_path: Path) -> None:
    params = textwrap.dedent(
        """\
        code: |
          def add(a: int, b: int) -> int:
              return a + b
          def broken(:
              pass
        """
    )
    termination_log = tmp_path / "termination-log"
    termination_log.write_text("")
    result = run_to_exit(params, env={"RAWPYTHON_TERMINATION_LOG": str(termination_log)})
    assert result.returncode != 0
    assert first_line(result.stderr) == "rawpython: SyntaxError at line 3: invalid syntax"
    assert "def broken(:" in result.stderr  # details show the offending line
    assert "first line of the params' `code` block" in result.stderr
    # kubelet shows /dev/termination-log as the container's termination message.
    assert termination_log.read_text().startswith("rawpython: SyntaxError at line 3: invalid syntax")


def test_syntax_error_plain_python() -> None:
    params = "def ok() -> int:\n    return 1\n\nx = (1,\n"
    result = run_to_exit(params)
    assert result.returncode != 0
    line = first_line(result.stderr)
    assert line.startswith("rawpython: SyntaxError at line 4: "), result.stderr
    assert "never closed" in line


def test_indentation_error() -> None:
    result = run_to_exit("def f(x):\nreturn x\n")
    assert result.returncode != 0
    assert first_line(result.stderr).startswith("rawpython: IndentationError at line 2: ")


def test_import_error() -> None:
    params = textwrap.dedent(
        """\
        code: |
          import json
          import not_a_real_module_kaos
          def f(x: int) -> int:
              return x
        """
    )
    result = run_to_exit(params)
    assert result.returncode != 0
    assert (
        first_line(result.stderr)
        == "rawpython: ModuleNotFoundError at line 2: No module named 'not_a_real_module_kaos'"
    )
    assert "Traceback" in result.stderr
    assert 'File "<params>", line 2' in result.stderr


def test_exception_at_import_time() -> None:
    params = "def f(x: int) -> int:\n    return x\n\nLIMIT = 1 / 0\n"
    result = run_to_exit(params)
    assert result.returncode != 0
    assert first_line(result.stderr) == "rawpython: ZeroDivisionError at line 4: division by zero"


@pytest.mark.parametrize(
    "params",
    [
        "code: |\n  import os\n  from os.path import join\n  VALUE = 3\n  def _hidden():\n      pass\n",
        "x = 1\n",
        "code: ''\n",
    ],
    ids=["only-imports-and-private", "plain-no-functions", "empty-code"],
)
def test_no_functions(params: str) -> None:
    result = run_to_exit(params)
    assert result.returncode != 0
    assert first_line(result.stderr) == "rawpython: no tools: the code defines no public top-level functions"


@pytest.mark.parametrize("params", [None, "", "   \n"], ids=["unset", "empty", "blank"])
def test_missing_params(params: str | None) -> None:
    result = run_to_exit(params)
    assert result.returncode != 0
    assert first_line(result.stderr) == "rawpython: MCP_TOOLS_STRING is empty or unset: no code to load"


def test_unsupported_parameter_type() -> None:
    params = 'import os\n\ndef f(x: "NoSuchType") -> int:\n    return 1\n'
    result = run_to_exit(params)
    assert result.returncode != 0
    assert first_line(result.stderr).startswith("rawpython: cannot make a tool of function 'f' (line 3): ")


def test_bad_port() -> None:
    result = run_to_exit("def f() -> int:\n    return 1\n", env={"PORT": "eighty"})
    assert result.returncode != 0
    assert first_line(result.stderr) == "rawpython: PORT must be an integer, got 'eighty'"


def test_function_defined_twice_is_refused(tmp_path: Path) -> None:
    params = textwrap.dedent(
        """\
        code: |
          def add(a: int, b: int) -> int:
              return a + b

          def sub(a: int, b: int) -> int:
              return a - b

          def add(x: float) -> float:
              return x
        """
    )
    termination_log = tmp_path / "termination-log"
    termination_log.write_text("")
    result = run_to_exit(params, env={"RAWPYTHON_TERMINATION_LOG": str(termination_log)})
    assert result.returncode == 1
    line = "rawpython: function 'add' is defined twice (lines 1 and 7), so the first would not be a tool"
    assert first_line(result.stderr) == line
    assert "Rename one of them" in result.stderr
    assert termination_log.read_text().startswith(line)


def test_function_shadowed_by_an_import_is_refused() -> None:
    result = run_to_exit("def loads(text: str) -> str:\n    return text\n\nfrom json import loads\n")
    assert result.returncode == 1
    assert first_line(result.stderr) == (
        "rawpython: function 'loads' (line 1) is replaced by an import of the same name at line 4,"
        " so the first would not be a tool"
    )


def test_yaml_without_code_gets_a_hint() -> None:
    # Meant as the YAML format, but without `code:` it runs as Python, where
    # `name: calc` is an annotation that evaluates `calc`.
    result = run_to_exit("name: calc\ninstructions: helpful\n")
    assert result.returncode == 1
    assert first_line(result.stderr) == (
        "rawpython: NameError at line 1: name 'calc' is not defined (the params look like YAML without a `code:` key)"
    )
    assert "For the YAML format put the functions under `code: |`." in result.stderr


def test_an_empty_auth_token_is_refused() -> None:
    # Set but empty (an empty Secret key): serving without the check would be worse than not starting.
    result = run_to_exit("def f() -> int:\n    return 1\n", env={"MCP_AUTH_TOKEN": "  "})
    assert result.returncode == 1
    assert first_line(result.stderr) == "rawpython: MCP_AUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it"
