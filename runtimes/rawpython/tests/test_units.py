"""In-process checks of params parsing, function collection and /healthz."""

from __future__ import annotations

import textwrap

import pytest

import server as rawpython

pytestmark = pytest.mark.anyio


# ---------------------------------------------------------------- params formats


def test_yaml_mapping_with_code() -> None:
    params = rawpython.parse_params(
        "name: calc\ninstructions: Be nice.\ncode: |\n  def f(x: int) -> int:\n      return x\n"
    )
    assert params.format == "yaml"
    assert params.code == "def f(x: int) -> int:\n    return x\n"
    assert params.name == "calc"
    assert params.instructions == "Be nice."


def test_plain_python_that_yaml_parses_as_a_mapping() -> None:
    # `def f(x):` + indented body is valid YAML (a mapping without `code`).
    source = "def f(x):\n    return x\n"
    params = rawpython.parse_params(source)
    assert params.format == "python"
    assert params.code == source
    assert params.mapping_without_code


@pytest.mark.parametrize(
    "source",
    [
        'import math\n\ndef area(r: float) -> float:\n    """Circle area."""\n    return math.pi * r * r\n',
        "async def f(x: int) -> int:\n    return x\n",
        "x = {'a': 1}\ndef g() -> dict:\n    return x\n",
    ],
)
def test_plain_python(source: str) -> None:
    params = rawpython.parse_params(source)
    assert params.format == "python"
    assert params.code == source
    assert params.name is None


def test_code_must_be_a_string() -> None:
    with pytest.raises(rawpython.LoadError, match="`code` must be a string"):
        rawpython.parse_params("code:\n  - def f(): pass\n")


def test_unknown_keys_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    params = rawpython.parse_params("code: |\n  def f() -> int:\n      return 1\nextra: 1\n")
    assert params.format == "yaml"
    assert "ignoring unknown keys: extra" in caplog.text


def test_syntax_error_hint_for_mapping_without_code() -> None:
    params = rawpython.parse_params("cod: |\n  def f() -> int:\n      return 1\n")
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(params)
    assert info.value.summary.startswith("SyntaxError at line 1")
    assert "without a `code` key" in info.value.details


# ---------------------------------------------------------------- which functions are tools


def test_collects_public_functions_defined_in_the_code() -> None:
    code = textwrap.dedent(
        """\
        import functools
        from os.path import join, basename as base
        from json import dumps

        def _private():
            pass

        def plain(x: int) -> int:
            return x

        async def coro(x: int) -> int:
            return x

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @deco
        def decorated(y: str) -> str:
            '''Decorated keeps its name, doc and schema.'''
            return y

        same = plain
        lam = lambda z: z
        class Klass:
            pass
        partial = functools.partial(plain, 1)
        """
    )
    tools = rawpython.load_tools(rawpython.Params(code=code))
    assert [t.name for t in tools] == ["plain", "coro", "deco", "decorated"]
    assert tools[0].lineno == 8


def test_function_names_and_docs_in_schema() -> None:
    code = textwrap.dedent(
        '''\
        import functools

        def decorate(fn):
            @functools.wraps(fn)
            def w(*a, **k):
                return fn(*a, **k)
            return w

        @decorate
        def hello(name: str, times: int = 1) -> str:
            """Say hello."""
            return "hi " * times + name
        '''
    )
    loaded = {t.name: t for t in rawpython.load_tools(rawpython.Params(code=code))}
    tool = rawpython.make_tool(loaded["hello"])
    assert tool.description == "Say hello."
    assert tool.parameters["properties"]["times"]["default"] == 1
    assert tool.parameters["required"] == ["name"]


async def test_tool_errors_carry_type_and_message() -> None:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    code = (
        "def boom(msg: str) -> str:\n    raise RuntimeError(msg)\n\n"
        "async def aboom(msg: str) -> str:\n    raise KeyError(msg)\n"
    )
    tools = [rawpython.make_tool(t) for t in rawpython.load_tools(rawpython.Params(code=code))]
    server = MCPServer("t", tools=tools)
    with pytest.raises(ToolError, match="RuntimeError: went wrong"):
        await server.call_tool("boom", {"msg": "went wrong"})
    with pytest.raises(ToolError, match="KeyError: 'async wrong'"):
        await server.call_tool("aboom", {"msg": "async wrong"})


def test_systemexit_in_code_is_a_load_error() -> None:
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(rawpython.Params(code="def f() -> int:\n    return 1\nraise SystemExit(3)\n"))
    assert info.value.summary == "SystemExit at line 3: 3"


# ---------------------------------------------------------------- descriptions


def test_description_is_the_docstring_or_the_signature() -> None:
    code = textwrap.dedent(
        '''\
        from __future__ import annotations
        from typing import Optional

        def documented(x: int) -> int:
            """  Does things.

            In detail.
            """
            return x

        def bare(a: int, b: Optional[str] = None) -> str:
            return str(a)

        def blank_doc(x):
            """   """
            return x

        async def untyped(x, *, flag=False):
            return x

        from mcp.server.mcpserver import Context
        from pydantic import BaseModel

        class Point(BaseModel):
            x: int
            y: int

        async def with_context(p: Point, ctx: Context) -> list[Point]:
            return [p]
        '''
    )
    loaded = rawpython.load_tools(rawpython.Params(code=code))
    descriptions = {t.name: rawpython.make_tool(t).description for t in loaded}
    assert descriptions == {
        "documented": "Does things.\n\nIn detail.",
        "bare": "bare(a: int, b: Optional[str] = None) -> str",
        "blank_doc": "blank_doc(x)",
        "untyped": "untyped(x, *, flag=False)",
        # The SDK fills `ctx`: callers never pass it.
        "with_context": "with_context(p: Point) -> list[Point]",
    }


# ---------------------------------------------------------------- shadowed functions


def load_error(code: str) -> rawpython.LoadError:
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(rawpython.Params(code=textwrap.dedent(code)))
    return info.value


@pytest.mark.parametrize(
    ("code", "summary"),
    [
        (
            "def add(a: int) -> int:\n    return a\n\ndef add(a: int, b: int) -> int:\n    return a + b\n",
            "function 'add' is defined twice (lines 1 and 4), so the first would not be a tool",
        ),
        (
            "def join(a: str) -> str:\n    return a\n\nfrom os.path import join\n",
            "function 'join' (line 1) is replaced by an import of the same name at line 4,"
            " so the first would not be a tool",
        ),
        (
            "import json\n\ndef dumps(x: int) -> str:\n    return str(x)\n\ndumps = json.dumps\n",
            "function 'dumps' (line 3) is reassigned at line 6, so the first would not be a tool",
        ),
        (
            "def f() -> int:\n    return 1\n\nclass f:\n    pass\n\ndef g() -> int:\n    return 2\n",
            "function 'f' (line 1) is replaced by a class of the same name at line 4, so the first would not be a tool",
        ),
        (
            "def f() -> int:\n    return 1\n\nfor f in range(2):\n    pass\n\ndef g() -> int:\n    return 2\n",
            "function 'f' (line 1) is reassigned by a `for` loop at line 4, so the first would not be a tool",
        ),
        (
            "def f() -> int:\n    return 1\n\ndef g() -> int:\n    return 2\n\ndel f\n",
            "function 'f' (line 1) is deleted at line 7, so the first would not be a tool",
        ),
        (
            "import sys\n\ndef f() -> int:\n    return 1\n\nif sys:\n    def f() -> int:\n        return 2\n",
            "function 'f' is defined twice (lines 3 and 7), so the first would not be a tool",
        ),
        (
            "def path() -> int:\n    return 1\n\nfrom os import *\n",
            "function 'path' (line 1) is possibly replaced by a `from ... import *` at line 4,"
            " so the first would not be a tool",
        ),
    ],
    ids=["def-twice", "import", "assignment", "class", "for", "del", "def-in-if", "star-import"],
)
def test_shadowed_function_is_refused(code: str, summary: str) -> None:
    error = load_error(code)
    assert error.summary == summary
    assert "Rename one of them" in error.details


@pytest.mark.parametrize(
    "code",
    [
        # Alternatives: only one branch runs.
        "import sys\nif sys.version_info >= (3,):\n    def f() -> int:\n        return 3\n"
        "else:\n    def f() -> int:\n        return 2\n",
        "try:\n    from json import dumps\nexcept ImportError:\n    def dumps(x) -> str:\n        return str(x)\n"
        "def g() -> int:\n    return 1\n",
        # Overload stubs before the implementation.
        "from typing import overload\n\n@overload\ndef f(x: int) -> int: ...\n@overload\n"
        "def f(x: str) -> str: ...\ndef f(x):\n    return x\n",
        # Re-wrapping keeps the function under its name.
        "import functools\n\ndef f(x: int) -> int:\n    return x\n\nf = functools.lru_cache(f)\n",
        # Private helpers may be redefined; an alias adds a name, it replaces none.
        "def _h():\n    return 1\n\ndef _h():\n    return 2\n\ndef f() -> int:\n    return _h()\n\nalias = f\n",
    ],
    ids=["if-else", "try-except-import", "overload", "rewrap", "private-and-alias"],
)
def test_legitimate_rebinding_is_accepted(code: str) -> None:
    assert rawpython.load_tools(rawpython.Params(code=code))


def test_shadowing_line_numbers_count_from_the_code_block() -> None:
    params = rawpython.parse_params(
        "name: x\ncode: |\n  def f() -> int:\n      return 1\n  def f() -> int:\n      return 2\n"
    )
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(params)
    assert info.value.summary.startswith("function 'f' is defined twice (lines 1 and 3)")
    assert "first line of the params' `code` block" in info.value.details


# ---------------------------------------------------------------- YAML without `code`


def test_yaml_without_code_that_runs_as_python_gets_a_hint() -> None:
    params = rawpython.parse_params("name: calc\ninstructions: helpful\n")
    assert params.format == "python"
    assert params.looks_like_yaml
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(params)
    assert info.value.summary == (
        "NameError at line 1: name 'calc' is not defined (the params look like YAML without a `code:` key)"
    )
    assert "parsed as a YAML mapping without a `code` key (keys: name, instructions)" in info.value.details
    assert "put the functions under `code: |`" in info.value.details


def test_yaml_without_code_that_defines_nothing_gets_a_hint() -> None:
    params = rawpython.parse_params("name: str\ntitle: int\n")
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(params)
    assert info.value.summary == (
        "no tools: the code defines no public top-level functions (the params look like YAML without a `code:` key)"
    )


def test_python_that_yaml_parses_gets_no_yaml_note() -> None:
    # `def f(x):` + body is a YAML mapping too, but clearly Python: errors
    # other than syntax errors say nothing about YAML.
    params = rawpython.parse_params("def f(x):\n    return undefined_name_here\n")
    assert params.mapping_without_code and not params.looks_like_yaml
    tools = rawpython.load_tools(params)
    assert [t.name for t in tools] == ["f"]
    broken = rawpython.parse_params("def f(x):\n    return x\nboom = f(1) + nope\n")
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(broken)
    assert info.value.summary == "NameError at line 3: name 'nope' is not defined"
    assert "YAML" not in info.value.details


# ---------------------------------------------------------------- Origin and Host settings


@pytest.mark.parametrize(
    ("env", "origin", "allowed"),
    [
        ({}, None, True),
        ({}, "http://localhost:6274", True),
        ({}, "https://127.0.0.1", True),
        ({}, "http://[::1]:8000", True),
        ({}, "http://localhost.evil.com", False),
        ({}, "http://127.0.0.1.nip.io:8000", False),
        ({}, "http://evil.example.com", False),
        ({}, "null", False),
        ({"MCP_ALLOWED_ORIGINS": "https://app.example.com/"}, "https://app.example.com", True),
        ({"MCP_ALLOWED_ORIGINS": "https://app.example.com"}, "HTTPS://APP.EXAMPLE.COM", True),
        ({"MCP_ALLOWED_ORIGINS": "https://app.example.com"}, "https://app.example.com:8443", False),
        ({"MCP_ALLOWED_ORIGINS": "https://app.example.com:*"}, "https://app.example.com:8443", True),
        ({"MCP_ALLOWED_ORIGINS": "https://app.example.com:*"}, "https://app.example.com.evil:1", False),
        ({"MCP_ALLOWED_ORIGINS": " * "}, "https://anything.test", True),
    ],
)
def test_origin_policy(env: dict[str, str], origin: str | None, allowed: bool) -> None:
    assert rawpython.security_from_env(env).origin_ok(origin) is allowed


@pytest.mark.parametrize(
    ("env", "host", "allowed"),
    [
        ({}, "10.1.2.3:8000", True),
        ({"MCP_ALLOWED_HOSTS": "*"}, "anything", True),
        ({"MCP_ALLOWED_HOSTS": " a.example:* , 10.0.0.1:8000 "}, "a.example:443", True),
        ({"MCP_ALLOWED_HOSTS": "a.example:*"}, "a.example", True),
        ({"MCP_ALLOWED_HOSTS": "a.example:*"}, "a.example.evil:80", False),
        ({"MCP_ALLOWED_HOSTS": "10.0.0.1:8000"}, "10.0.0.1:8001", False),
        ({"MCP_ALLOWED_HOSTS": "10.0.0.1:8000"}, None, False),
    ],
)
def test_host_policy(env: dict[str, str], host: str | None, allowed: bool) -> None:
    assert rawpython.security_from_env(env).host_ok(host) is allowed
