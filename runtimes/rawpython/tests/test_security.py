"""Origin checks (DNS-rebinding protection) against the real server over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server, mcp_client, running_server, start_server

pytestmark = pytest.mark.anyio

TOOLS = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n'

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MODERN_LIST = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/list",
    "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    },
}
MODERN_HEADERS = {**HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(TOOLS, tmp_path_factory.mktemp("sec"))
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example.com",
        "http://evil.example.com:8000",
        "https://attacker.test",
        "null",
        "http://10.1.2.3:8000",
    ],
)
def test_foreign_origin_is_refused_with_403(server: Server, origin: str) -> None:
    # A DNS-rebinding page reaches the server under its own name, so its
    # Host matches whatever it resolved to; its Origin is what gives it away.
    host = origin.split("://")[-1]
    response = httpx.post(server.mcp_url, json=INITIALIZE, headers={**HEADERS, "Origin": origin, "Host": host})
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["message"].startswith("Invalid Origin header")
    assert "MCP_ALLOWED_ORIGINS" in body["error"]["message"]
    # The 2026-07-28 path and the other routes are behind the same check.
    modern = httpx.post(server.mcp_url, json=MODERN_LIST, headers={**MODERN_HEADERS, "Origin": origin})
    assert modern.status_code == 403
    assert httpx.get(f"{server.base_url}/readyz", headers={"Origin": origin}).status_code == 403
    assert f"refused a request to /mcp from Origin {origin!r}" in server.log()


def test_no_origin_is_served(server: Server) -> None:
    # kubelet probes, port-forwarded CLIs and server-side clients send no Origin.
    response = httpx.post(server.mcp_url, json=INITIALIZE, headers=HEADERS)
    assert response.status_code == 200
    assert response.json()["result"]["serverInfo"]["name"] == "rawpython"
    modern = httpx.post(server.mcp_url, json=MODERN_LIST, headers=MODERN_HEADERS)
    assert modern.status_code == 200
    assert [t["name"] for t in modern.json()["result"]["tools"]] == ["add"]


@pytest.mark.parametrize(
    "origin", ["http://localhost:6274", "http://127.0.0.1:8000", "http://[::1]:3000", "http://localhost"]
)
def test_loopback_origins_are_served(server: Server, origin: str) -> None:
    # A browser tool on the user's own machine (through kubectl port-forward):
    # a rebinding page can never carry a loopback origin.
    response = httpx.post(server.mcp_url, json=INITIALIZE, headers={**HEADERS, "Origin": origin})
    assert response.status_code == 200, response.text


async def test_allowed_origins_work_without_a_host_allowlist(tmp_path: Path) -> None:
    env = {"MCP_ALLOWED_ORIGINS": "https://app.example.com, https://tools.example.org:*"}
    with running_server(TOOLS, tmp_path, env=env) as srv:
        for origin in ("https://app.example.com", "https://tools.example.org:8443", "https://tools.example.org"):
            response = httpx.post(srv.mcp_url, json=INITIALIZE, headers={**HEADERS, "Origin": origin})
            assert response.status_code == 200, (origin, response.text)
        for origin in ("https://app.example.com:444", "https://evil.example.com", "http://app.example.com"):
            response = httpx.post(srv.mcp_url, json=INITIALIZE, headers={**HEADERS, "Origin": origin})
            assert response.status_code == 403, origin
        # Loopback origins stay allowed, requests without Origin too, and any Host.
        local = {**HEADERS, "Origin": "http://localhost:6274", "Host": "10.1.2.3:8000"}
        assert httpx.post(srv.mcp_url, json=INITIALIZE, headers=local).status_code == 200
        async with mcp_client(srv.mcp_url) as client:
            assert (await client.call_tool("add", {"a": 1, "b": 2})).structured_content == {"result": 3}


def test_any_origin_when_asked(tmp_path: Path) -> None:
    with running_server(TOOLS, tmp_path, env={"MCP_ALLOWED_ORIGINS": "*"}) as srv:
        response = httpx.post(srv.mcp_url, json=INITIALIZE, headers={**HEADERS, "Origin": "https://anything.test"})
        assert response.status_code == 200


# --------------------------------------------------------------------------
# MCP_AUTH_TOKEN: a bearer token on the MCP endpoint (kaos sets it when it
# exposes the server outside the cluster)

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(TOOLS, tmp_path_factory.mktemp("auth"), env={"MCP_AUTH_TOKEN": TOKEN})
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, 'Bearer realm="mcp"'),
        ("Bearer wrong", 'Bearer realm="mcp", error="invalid_token"'),
        (f"Basic {TOKEN}", 'Bearer realm="mcp", error="invalid_token"'),
        (f"Bearer {TOKEN}x", 'Bearer realm="mcp", error="invalid_token"'),
        ("Bearer", 'Bearer realm="mcp", error="invalid_token"'),
    ],
)
def test_a_request_without_the_token_gets_401(token_server: Server, authorization: str | None, challenge: str) -> None:
    headers = {**HEADERS, **({"Authorization": authorization} if authorization else {})}
    response = httpx.post(token_server.mcp_url, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert "kaos mcp token" in response.json()["error"]["message"]
    modern = httpx.post(token_server.mcp_url, json=MODERN_LIST, headers={**MODERN_HEADERS, **headers})
    assert modern.status_code == 401
    # The token never reaches the log.
    assert TOKEN not in token_server.log()


def test_the_token_lets_a_request_through_in_both_revisions(token_server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(token_server.mcp_url, json=INITIALIZE, headers={**HEADERS, **auth})
    assert response.status_code == 200, response.text
    modern = httpx.post(token_server.mcp_url, json=MODERN_LIST, headers={**MODERN_HEADERS, **auth})
    assert [t["name"] for t in modern.json()["result"]["tools"]] == ["add"]
    # Scheme names are case-insensitive (RFC 7235).
    assert httpx.post(token_server.mcp_url, json=INITIALIZE, headers={**HEADERS, "Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_probes_need_no_token(token_server: Server) -> None:
    # The kubelet sends no credentials: liveness and readiness stay open, and
    # /readyz still runs its tools/list (in-process, past the check).
    assert httpx.get(f"{token_server.base_url}/healthz").status_code == 200
    ready = httpx.get(f"{token_server.base_url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checked"] == {"2026-07-28": "ok", "2025-11-25": "ok"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sdk_client_with_the_token(token_server: Server, mode: str) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with Client(streamable_http_client(token_server.mcp_url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
            assert (await client.call_tool("add", {"a": 2, "b": 3})).structured_content == {"result": 5}


def test_an_origin_is_checked_before_the_token(token_server: Server) -> None:
    # A rebinding page never learns whether its guess of the token was right.
    headers = {**HEADERS, "Origin": "http://evil.example.com", "Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(token_server.mcp_url, json=INITIALIZE, headers=headers).status_code == 403
