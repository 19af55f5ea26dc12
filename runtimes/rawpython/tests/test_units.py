"""In-process checks of params parsing, function collection and /healthz."""

from __future__ import annotations

import textwrap

import httpx
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


async def test_tool_errors_propagate_for_the_error_result() -> None:
    code = (
        "def boom(msg: str) -> str:\n    raise RuntimeError(msg)\n\n"
        "async def aboom(msg: str) -> str:\n    raise KeyError(msg)\n"
    )
    tools = {t.name: rawpython.make_tool(t) for t in rawpython.load_tools(rawpython.Params(code=code))}
    with pytest.raises(Exception, match="went wrong"):
        await tools["boom"].run({"msg": "went wrong"})
    with pytest.raises(Exception, match="async wrong"):
        await tools["aboom"].run({"msg": "async wrong"})


def test_systemexit_in_code_is_a_load_error() -> None:
    with pytest.raises(rawpython.LoadError) as info:
        rawpython.load_tools(rawpython.Params(code="def f() -> int:\n    return 1\nraise SystemExit(3)\n"))
    assert info.value.summary == "SystemExit at line 3: 3"


# ---------------------------------------------------------------- /healthz and Host checks


def _app(state: rawpython.State):
    loaded = rawpython.load_tools(rawpython.Params(code="def f() -> int:\n    return 1\n"))
    tools = [rawpython.make_tool(t) for t in loaded]
    app, _ = rawpython.build_app(tools, state=state)
    return app


@pytest.mark.parametrize(
    ("loaded", "shutting_down", "status", "body_status"),
    [
        (True, False, 200, "ok"),
        (False, False, 503, "tools not loaded"),
        (True, True, 503, "shutting down"),
    ],
)
async def test_healthz_status(loaded: bool, shutting_down: bool, status: int, body_status: str) -> None:
    state = rawpython.State(loaded=loaded, shutting_down=shutting_down)
    transport = httpx.ASGITransport(app=_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.1.2.3:8000") as client:
        response = await client.get("/healthz")
    assert response.status_code == status
    assert response.json() == {"status": body_status, "tools": ["f"]}


@pytest.mark.parametrize(
    ("env", "enabled", "hosts"),
    [
        ({}, False, []),
        ({"MCP_ALLOWED_HOSTS": "*"}, False, []),
        ({"MCP_ALLOWED_HOSTS": " a.example:* , 10.0.0.1:8000 "}, True, ["a.example:*", "10.0.0.1:8000"]),
    ],
)
def test_transport_security_from_env(env: dict[str, str], enabled: bool, hosts: list[str]) -> None:
    settings = rawpython.transport_security_from_env(env)
    assert settings.enable_dns_rebinding_protection is enabled
    assert settings.allowed_hosts == hosts
