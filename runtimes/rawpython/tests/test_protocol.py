"""Protocol revisions, stateless serving across replicas, and JSON vs SSE answers."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import types

from conftest import MODES, Server, mcp_client, running_server, start_server

pytestmark = pytest.mark.anyio

TOOLS = textwrap.dedent(
    '''\
    import asyncio

    from mcp.server.mcpserver import Context

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    async def count_up(steps: int, ctx: Context) -> str:
        """Report progress once per step."""
        for step in range(1, steps + 1):
            await ctx.report_progress(step, steps, f"step {step}")
            await asyncio.sleep(0.01)
        return f"counted to {steps}"
    '''
)

ACCEPT = "application/json, text/event-stream"
LEGACY_HEADERS = {"Accept": ACCEPT, "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def rpc(method: str, params: dict[str, object] | None = None, id: int | None = 1) -> dict[str, object]:
    message: dict[str, object] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if id is not None:
        message["id"] = id
    return message


def modern_headers(method: str, name: str | None = None) -> dict[str, str]:
    headers = {"Accept": ACCEPT, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(TOOLS, tmp_path_factory.mktemp("proto"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(TOOLS, tmp_path_factory.mktemp("replica"))
    yield srv
    srv.stop()


# ---------------------------------------------------------------- revisions with the 2.x client


@pytest.mark.parametrize("mode", [*MODES, "2026-07-28"])
async def test_sdk_client_modes(server: Server, mode: str) -> None:
    """auto negotiates 2026-07-28 through server/discover; legacy forces the
    initialize handshake (2025-11-25); a pinned 2026-07-28 skips discovery."""
    async with mcp_client(server.mcp_url, mode) as client:
        assert client.protocol_version == MODES.get(mode, mode)
        assert [t.name for t in (await client.list_tools()).tools] == ["add", "count_up"]
        result = await client.call_tool("add", {"a": 2, "b": 40})
        assert result.structured_content == {"result": 42}


@pytest.mark.parametrize("mode", list(MODES))
async def test_progress_notifications_in_both_revisions(server: Server, mode: str) -> None:
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with mcp_client(server.mcp_url, mode) as client:
        result = await client.call_tool("count_up", {"steps": 3}, progress_callback=on_progress)
    assert result.structured_content == {"result": "counted to 3"}
    assert seen == [1, 2, 3]


def test_server_discover(server: Server) -> None:
    body = rpc("server/discover", {"_meta": MODERN_META})
    response = httpx.post(server.mcp_url, json=body, headers=modern_headers("server/discover"))
    assert response.status_code == 200
    result = response.json()["result"]
    # Handshake-era revisions are not listed here: a client reaches them
    # through initialize, which the same endpoint answers.
    assert result["supportedVersions"] == ["2026-07-28"]
    assert "tools" in result["capabilities"]
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "rawpython"


def test_2026_headers_are_required(server: Server) -> None:
    body = rpc("tools/list", {"_meta": MODERN_META})
    missing_method = {"Accept": ACCEPT, "MCP-Protocol-Version": "2026-07-28"}
    response = httpx.post(server.mcp_url, json=body, headers=missing_method)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020  # HeaderMismatch
    call = rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": MODERN_META})
    wrong_name = httpx.post(server.mcp_url, json=call, headers=modern_headers("tools/call", "other"))
    assert wrong_name.status_code == 400
    assert wrong_name.json()["error"]["code"] == -32020


def test_unsupported_version_is_refused(server: Server) -> None:
    meta = {**MODERN_META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
    headers = {**modern_headers("tools/list"), "MCP-Protocol-Version": "2099-01-01"}
    response = httpx.post(server.mcp_url, json=rpc("tools/list", {"_meta": meta}), headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "2026-07-28" in json.dumps(error)


# ---------------------------------------------------------------- stateless


def test_no_session_is_issued(server: Server) -> None:
    init = rpc(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    )
    response = httpx.post(server.mcp_url, json=init, headers={"Accept": ACCEPT})
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers
    # A handshake-era request needs no initialize before it in stateless mode.
    listed = httpx.post(server.mcp_url, json=rpc("tools/list"), headers=LEGACY_HEADERS)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()["result"]["tools"]] == ["add", "count_up"]
    # There is no server-to-client stream to open.
    get = httpx.get(server.mcp_url, headers={"Accept": "text/event-stream"})
    assert get.status_code == 405
    assert get.headers["allow"] == "POST"


def test_replicas_need_no_affinity(server: Server, replica: Server) -> None:
    """One client's handshake-era conversation spread over two server
    processes, as a Service without session affinity spreads it over pods."""
    init = rpc(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    )
    first = httpx.post(server.mcp_url, json=init, headers={"Accept": ACCEPT})
    assert first.status_code == 200
    initialized = httpx.post(replica.mcp_url, json=rpc("notifications/initialized", id=None), headers=LEGACY_HEADERS)
    assert initialized.status_code == 202
    for n, srv in enumerate([replica, server, replica]):
        call = rpc("tools/call", {"name": "add", "arguments": {"a": n, "b": 1}}, id=10 + n)
        response = httpx.post(srv.mcp_url, json=call, headers=LEGACY_HEADERS)
        assert response.status_code == 200
        assert response.json()["result"]["structuredContent"] == {"result": n + 1}


async def test_two_clients_no_sessions(server: Server) -> None:
    async with mcp_client(server.mcp_url, "legacy") as first, mcp_client(server.mcp_url, "auto") as second:
        a = await first.call_tool("add", {"a": 1, "b": 1})
        b = await second.call_tool("add", {"a": 2, "b": 2})
        c = await first.call_tool("add", {"a": 3, "b": 3})
    assert [r.structured_content for r in (a, b, c)] == [{"result": 2}, {"result": 4}, {"result": 6}]


async def test_stateful_mode_keeps_sessions(tmp_path: Path) -> None:
    with running_server(TOOLS, tmp_path, env={"MCP_STATELESS": "0"}) as srv:
        init = rpc(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
        )
        response = httpx.post(srv.mcp_url, json=init, headers={"Accept": ACCEPT})
        assert response.status_code == 200
        assert response.headers["mcp-session-id"]
        assert response.headers["content-type"] == "application/json"
        without = httpx.post(srv.mcp_url, json=rpc("tools/list"), headers=LEGACY_HEADERS)
        assert without.status_code == 400
        async with mcp_client(srv.mcp_url, "legacy") as client:
            assert (await client.call_tool("add", {"a": 1, "b": 2})).structured_content == {"result": 3}


def test_bad_stateless_value_is_a_start_error(tmp_path: Path) -> None:
    from conftest import run_to_exit

    result = run_to_exit(TOOLS, env={"MCP_STATELESS": "maybe"})
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "rawpython: MCP_STATELESS must be 1/true/yes/on or 0/false/no/off, got 'maybe'"
    )


# ---------------------------------------------------------------- JSON unless streaming


def test_plain_answers_are_json(server: Server) -> None:
    for body in (
        rpc("tools/list"),
        rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}),
        rpc("ping"),
    ):
        response = httpx.post(server.mcp_url, json=body, headers=LEGACY_HEADERS)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-length"] == str(len(response.content))
        assert response.json()["id"] == 1
    modern = rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": MODERN_META})
    response = httpx.post(server.mcp_url, json=modern, headers=modern_headers("tools/call", "add"))
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("revision", ["2025-11-25", "2026-07-28"])
def test_calls_that_notify_stream(server: Server, revision: str) -> None:
    params: dict[str, object] = {"name": "count_up", "arguments": {"steps": 2}, "_meta": {"progressToken": "p1"}}
    if revision == "2026-07-28":
        params["_meta"] = {**MODERN_META, "progressToken": "p1"}
        headers = modern_headers("tools/call", "count_up")
    else:
        headers = LEGACY_HEADERS
    response = httpx.post(server.mcp_url, json=rpc("tools/call", params), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = response.text.splitlines()
    messages = [json.loads(line[5:]) for line in lines if line.startswith("data:") and line[5:].strip()]
    progress = [m["params"]["progress"] for m in messages if m.get("method") == "notifications/progress"]
    assert progress == [1, 2]
    assert messages[-1]["result"]["structuredContent"] == {"result": "counted to 2"}


def test_errors_keep_their_status(server: Server) -> None:
    response = httpx.post(server.mcp_url, content=b"{not json", headers=LEGACY_HEADERS)
    assert response.status_code == 400
    html_only = {**LEGACY_HEADERS, "Accept": "text/html"}
    wrong_accept = httpx.post(server.mcp_url, json=rpc("tools/list"), headers=html_only)
    assert wrong_accept.status_code == 406


def test_result_types(server: Server) -> None:
    # The SDK's own model parses what the JSON answer carries.
    response = httpx.post(server.mcp_url, json=rpc("tools/list"), headers=LEGACY_HEADERS)
    listed = types.ListToolsResult.model_validate(response.json()["result"])
    assert listed.tools[0].description == "Add two numbers."
