"""End-to-end: server.py as a subprocess, the real MCP client over streamable HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import types

from conftest import (
    MODES,
    SERVER,
    Server,
    base_env,
    free_port,
    mcp_client,
    port_is_free,
    run_to_exit,
    running_server,
    start_server,
)

pytestmark = pytest.mark.anyio

# The YAML params format, as kaos puts an MCPServer's params into MCP_TOOLS_STRING.
TOOLS_YAML = textwrap.dedent(
    '''\
    name: calc
    instructions: Use the calculator tools.
    code: |
      import asyncio
      import os
      import time
      from os.path import join
      from typing import Optional

      def add(a: int, b: int) -> int:
          """Add two numbers."""
          return a + b

      def scale(x: float, factor: float = 2.0) -> float:
          """Multiply x by factor.

          Long description on a second paragraph.
          """
          return x * factor

      def greet(name: str, excited: bool = False, title: Optional[str] = None) -> str:
          """Greet someone."""
          who = f"{title} {name}" if title else name
          return f"Hello, {who}" + ("!" if excited else ".")

      def summarize(items: list[int], meta: dict[str, str]) -> dict:
          """Summarize a list of numbers."""
          return {"count": len(items), "total": sum(items), "keys": sorted(meta)}

      async def slow_echo(text: str, delay: float = 0.01) -> str:
          """Echo text after a delay."""
          await asyncio.sleep(delay)
          return text

      def sleepy(seconds: float) -> str:
          """Block for a while (runs in a worker thread)."""
          time.sleep(seconds)
          return "awake"

      def fail(message: str) -> str:
          """Always raises."""
          raise ValueError(message)

      def untyped(x):
          return x

      def _private() -> int:
          return 1

      alias = add
      square = lambda v: v * v

      class NotATool:
          def method(self) -> int:
              return 1

      if __name__ == "__main__":
          raise SystemExit("the code does not run as __main__")
    '''
)

EXPECTED_TOOLS = {"add", "scale", "greet", "summarize", "slow_echo", "sleepy", "fail", "untyped"}

ISSUE_EXAMPLE_YAML = textwrap.dedent(
    '''\
    code: |
      def add(a: int, b: int) -> int:
          """Add two numbers."""
          return a + b
    '''
)

PLAIN_PYTHON = textwrap.dedent(
    '''\
    def shout(text: str) -> str:
        """Upper-case the text."""
        return text.upper()

    async def count(items: list[str]) -> int:
        """Count the items."""
        return len(items)
    '''
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(TOOLS_YAML, tmp_path_factory.mktemp("srv"))
    yield srv
    srv.stop()


def text_of(result: types.CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


# Every MCP-level test runs once per protocol revision: 2026-07-28 (the 2.x
# client's "auto" mode) and 2025-11-25 (its "legacy" mode, the initialize
# handshake that kaos's TypeScript client also speaks).
modes = pytest.mark.parametrize("mode", list(MODES))


# ---------------------------------------------------------------- listing


@modes
async def test_public_functions_become_tools(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        assert client.protocol_version == MODES[mode]
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == EXPECTED_TOOLS
    # Definition order is kept.
    assert [t.name for t in tools][:3] == ["add", "scale", "greet"]


@modes
async def test_server_name_and_instructions_from_params(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        assert client.server_info is not None
        assert client.server_info.name == "calc"
        assert client.instructions == "Use the calculator tools."


@modes
async def test_docstrings_are_descriptions(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["add"].description == "Add two numbers."
    assert tools["scale"].description == "Multiply x by factor.\n\nLong description on a second paragraph."
    # No docstring: the signature stands in, so no tool has an empty description.
    assert tools["untyped"].description == "untyped(x)"
    assert all(t.description for t in tools.values())


@modes
async def test_type_hints_are_the_input_schema(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        tools = {t.name: t.input_schema for t in (await client.list_tools()).tools}

    add = tools["add"]
    assert add["type"] == "object"
    assert add["properties"]["a"]["type"] == "integer"
    assert add["properties"]["b"]["type"] == "integer"
    assert sorted(add["required"]) == ["a", "b"]

    scale = tools["scale"]
    assert scale["properties"]["x"]["type"] == "number"
    assert scale["properties"]["factor"]["type"] == "number"
    assert scale["properties"]["factor"]["default"] == 2.0
    assert scale["required"] == ["x"]

    greet = tools["greet"]
    assert greet["properties"]["name"]["type"] == "string"
    assert greet["properties"]["excited"] == {"default": False, "title": "Excited", "type": "boolean"}
    title_types = {alt.get("type") for alt in greet["properties"]["title"]["anyOf"]}
    assert title_types == {"string", "null"}
    assert greet["properties"]["title"]["default"] is None
    assert greet["required"] == ["name"]

    summarize = tools["summarize"]
    assert summarize["properties"]["items"]["type"] == "array"
    assert summarize["properties"]["items"]["items"] == {"type": "integer"}
    assert summarize["properties"]["meta"]["type"] == "object"
    assert summarize["properties"]["meta"]["additionalProperties"] == {"type": "string"}

    assert tools["untyped"]["required"] == ["x"]


# ---------------------------------------------------------------- calls


@modes
async def test_call_typed_tools(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        add = await client.call_tool("add", {"a": 2, "b": 3})
        assert not add.is_error
        assert text_of(add) == "5"
        assert add.structured_content == {"result": 5}

        assert text_of(await client.call_tool("scale", {"x": 1.5})) == "3.0"
        assert text_of(await client.call_tool("scale", {"x": 1.5, "factor": 3})) == "4.5"
        assert text_of(await client.call_tool("greet", {"name": "Ada"})) == "Hello, Ada."
        greeting = await client.call_tool("greet", {"name": "Ada", "excited": True, "title": "Dr."})
        assert text_of(greeting) == "Hello, Dr. Ada!"

        summary = await client.call_tool("summarize", {"items": [1, 2, 3], "meta": {"b": "x", "a": "y"}})
        assert not summary.is_error
        assert json.loads(text_of(summary)) == {"count": 3, "total": 6, "keys": ["a", "b"]}

        # Unannotated parameters take any JSON value.
        assert text_of(await client.call_tool("untyped", {"x": "anything"})) == "anything"
        assert text_of(await client.call_tool("untyped", {"x": 7})) == "7"


@modes
async def test_async_tool(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        result = await client.call_tool("slow_echo", {"text": "hi", "delay": 0.05})
    assert not result.is_error
    assert text_of(result) == "hi"


@modes
async def test_tool_exception_is_an_error_result_not_a_crash(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        result = await client.call_tool("fail", {"message": "boom: bad input"})
        assert result.is_error
        # The exception's type and message reach the caller: the tools are the
        # deployer's own code, and the message is what lets a caller correct a call.
        assert "ValueError: boom: bad input" in text_of(result)
        # The server keeps serving, the same client included.
        assert text_of(await client.call_tool("add", {"a": 1, "b": 1})) == "2"
    assert server.proc.poll() is None
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    assert "ValueError: boom: bad input" in server.log()  # logged with its traceback
    assert 'File "<params>"' in server.log()


@modes
async def test_invalid_arguments_are_an_error_result(server: Server, mode: str) -> None:
    async with mcp_client(server.mcp_url, mode) as client:
        result = await client.call_tool("add", {"a": "not a number", "b": 1})
        assert result.is_error
        assert "a" in text_of(result)
        assert text_of(await client.call_tool("add", {"a": 1, "b": 2})) == "3"


async def test_sync_tool_does_not_block_the_server(server: Server) -> None:
    async with mcp_client(server.mcp_url) as client:
        async with anyio.create_task_group() as tg:
            results: list[types.CallToolResult] = []

            async def call_sleepy() -> None:
                results.append(await client.call_tool("sleepy", {"seconds": 1.5}))

            tg.start_soon(call_sleepy)
            await anyio.sleep(0.3)
            started = time.monotonic()
            async with httpx.AsyncClient() as http:
                health = await http.get(f"{server.base_url}/healthz")
                ready = await http.get(f"{server.base_url}/readyz")
            assert health.status_code == 200
            assert ready.status_code == 200
            assert time.monotonic() - started < 1.0
        assert text_of(results[0]) == "awake"


# ---------------------------------------------------------------- hosts


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "host",
    [
        "10.1.2.3:8000",  # pod IP
        "mcpserver-x.ns.svc.cluster.local:8000",  # service DNS name
        "mcpserver-x:8000",
        "127.0.0.1:43521",  # kubectl port-forward on a random local port
        "localhost:43521",
    ],
)
def test_in_cluster_host_headers_are_accepted(server: Server, host: str) -> None:
    response = httpx.post(server.mcp_url, json=INITIALIZE, headers={**MCP_HEADERS, "Host": host})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["serverInfo"]["name"] == "calc"
    assert httpx.get(f"{server.base_url}/healthz", headers={"Host": host}).status_code == 200
    assert httpx.get(f"{server.base_url}/readyz", headers={"Host": host}).status_code == 200


async def test_host_allowlist(tmp_path: Path) -> None:
    env = {"MCP_ALLOWED_HOSTS": "127.0.0.1:*,mcp.example.com"}
    with running_server(ISSUE_EXAMPLE_YAML, tmp_path, env=env) as srv:
        async with mcp_client(srv.mcp_url) as client:
            assert text_of(await client.call_tool("add", {"a": 1, "b": 2})) == "3"
        ok = httpx.post(srv.mcp_url, json=INITIALIZE, headers={**MCP_HEADERS, "Host": "mcp.example.com"})
        assert ok.status_code == 200
        refused = httpx.post(srv.mcp_url, json=INITIALIZE, headers={**MCP_HEADERS, "Host": "10.1.2.3:8000"})
        assert refused.status_code == 421
        assert "MCP_ALLOWED_HOSTS" in refused.json()["error"]["message"]
        # Probes are never subject to the allowlist.
        assert httpx.get(f"{srv.base_url}/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200
        assert httpx.get(f"{srv.base_url}/readyz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


# ---------------------------------------------------------------- other servers


async def test_issue_example_with_kaos_env(tmp_path: Path) -> None:
    """Only MCP_TOOLS_STRING set, as kaos renders the Deployment (default port
    8000 and host 0.0.0.0 when that port is free here)."""
    env: dict[str, str] = {}
    port = None
    if port_is_free(8000):
        port = 8000
        env = {"HOST": "0.0.0.0"}
    try:
        srv = start_server(ISSUE_EXAMPLE_YAML, tmp_path, env=env, port=port)
    except AssertionError:
        if port is None:
            raise
        srv = start_server(ISSUE_EXAMPLE_YAML, tmp_path)  # 8000 was taken meanwhile
    try:
        async with mcp_client(srv.mcp_url) as client:
            assert client.server_info is not None
            assert client.server_info.name == "rawpython"
            tools = (await client.list_tools()).tools
            assert [(t.name, t.description) for t in tools] == [("add", "Add two numbers.")]
            assert text_of(await client.call_tool("add", {"a": 40, "b": 2})) == "42"
    finally:
        assert srv.stop() == 0


async def test_plain_python_params(tmp_path: Path) -> None:
    with running_server(PLAIN_PYTHON, tmp_path, env={"MCP_SERVER_NAME": "plain"}) as srv:
        async with mcp_client(srv.mcp_url) as client:
            assert client.server_info is not None
            assert client.server_info.name == "plain"
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {"shout", "count"}
            assert tools["shout"].description == "Upper-case the text."
            assert text_of(await client.call_tool("shout", {"text": "hey"})) == "HEY"
            assert text_of(await client.call_tool("count", {"items": ["a", "b"]})) == "2"


def test_port_in_use_fails(server: Server) -> None:
    result = run_to_exit(ISSUE_EXAMPLE_YAML, env={"PORT": str(server.port)})
    assert result.returncode != 0
    assert "address already in use" in result.stderr.lower()
    assert f"rawpython: could not serve on 127.0.0.1:{server.port}" in result.stderr


# ---------------------------------------------------------------- shutdown


def test_sigterm_exits_zero_quickly(tmp_path: Path) -> None:
    srv = start_server(ISSUE_EXAMPLE_YAML, tmp_path)
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 3.0
    assert "received SIGTERM" in srv.log()


def test_sigterm_while_loading_exits_zero(tmp_path: Path) -> None:
    params = "import time\nprint('loading', flush=True)\ntime.sleep(30)\n\ndef f() -> int:\n    return 1\n"
    env = base_env()
    env.update(MCP_TOOLS_STRING=params, PORT=str(free_port()), HOST="127.0.0.1")
    proc = subprocess.Popen([sys.executable, str(SERVER)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "loading"  # now inside the code's time.sleep
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
