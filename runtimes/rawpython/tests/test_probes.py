"""/readyz runs a real tools/list through the server's MCP handling; /healthz stays cheap."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

import server as rawpython
from conftest import running_server

pytestmark = pytest.mark.anyio

# `break_listing` makes the running server's tools/list fail, the way a bug
# in the SDK or a tool whose schema no longer serialises would: the probe
# has to notice through MCP, not through the process being up.
TOOLS = textwrap.dedent(
    '''\
    import gc

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    def break_listing() -> str:
        """Make tools/list fail from now on."""
        from mcp.server.mcpserver import MCPServer

        async def broken():
            raise RuntimeError("tool listing is broken")

        for obj in gc.get_objects():
            if isinstance(obj, MCPServer):
                obj.list_tools = broken
        return "broken"
    '''
)


async def test_readyz_lists_tools_over_both_protocol_revisions(tmp_path: Path) -> None:
    with running_server(TOOLS, tmp_path) as srv:
        response = httpx.get(f"{srv.base_url}/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "tools": ["add", "break_listing"],
            "checked": {"2026-07-28": "ok", "2025-11-25": "ok"},
        }
        assert httpx.head(f"{srv.base_url}/readyz").status_code == 200


def call(url: str, name: str, arguments: dict[str, object]) -> dict[str, object]:
    """A 2026-07-28 tools/call as a plain POST (the SDK client would list the
    tools first, to check the result against the output schema)."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": name,
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments, "_meta": meta},
    }
    response = httpx.post(url, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["result"]


async def test_readyz_fails_when_tool_listing_breaks_and_healthz_does_not(tmp_path: Path) -> None:
    with running_server(TOOLS, tmp_path) as srv:
        assert call(srv.mcp_url, "break_listing", {})["structuredContent"] == {"result": "broken"}

        ready = httpx.get(f"{srv.base_url}/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "tools/list failed at 2026-07-28"
        assert body["error"].startswith("RuntimeError: no tools/list result")
        assert "readiness: tools/list at 2026-07-28 failed" in srv.log()
        assert "RuntimeError: tool listing is broken" in srv.log()

        # Liveness does not run MCP: the process is up, so no restart.
        health = httpx.get(f"{srv.base_url}/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        # Calls still work; only listing is broken.
        assert call(srv.mcp_url, "add", {"a": 1, "b": 2})["structuredContent"] == {"result": 3}


async def test_readyz_in_stateful_mode(tmp_path: Path) -> None:
    with running_server(TOOLS, tmp_path, env={"MCP_STATELESS": "0"}) as srv:
        response = httpx.get(f"{srv.base_url}/readyz")
        assert response.status_code == 200
        # A handshake-era tools/list needs a session there; 2026-07-28 needs none.
        assert response.json()["checked"] == {"2026-07-28": "ok"}


# ---------------------------------------------------------------- in-process states


def _app(state: rawpython.State):
    loaded = rawpython.load_tools(rawpython.Params(code="def f() -> int:\n    return 1\n"))
    tools = [rawpython.make_tool(t) for t in loaded]
    app, _ = rawpython.build_app(tools, state=state)
    return app


async def test_probes_before_load_and_during_shutdown() -> None:
    for state, status in (
        (rawpython.State(loaded=False), "tools not loaded"),
        (rawpython.State(loaded=True, shutting_down=True), "shutting down"),
    ):
        transport = httpx.ASGITransport(app=_app(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://10.1.2.3:8000") as client:
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
        assert health.status_code == 503
        assert health.json() == {"status": status, "tools": ["f"]}
        assert ready.status_code == 503
        assert ready.json() == {"status": status}
