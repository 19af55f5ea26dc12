"""SIGTERM: stop accepting, let calls in flight finish (bounded), exit 0."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path

import anyio
import httpx
import pytest

from conftest import mcp_client, start_server

pytestmark = pytest.mark.anyio

TOOLS = textwrap.dedent(
    '''\
    import asyncio
    import time

    def sleepy(seconds: float) -> str:
        """Block a worker thread for a while."""
        time.sleep(seconds)
        return f"slept {seconds}"

    async def nap(seconds: float) -> str:
        """Await for a while."""
        await asyncio.sleep(seconds)
        return f"napped {seconds}"
    '''
)


async def wait_exit(proc, timeout: float) -> int:  # noqa: ANN001 - subprocess.Popen
    with anyio.fail_after(timeout):
        while proc.poll() is None:
            await anyio.sleep(0.05)
    return proc.returncode


@pytest.mark.parametrize(("mode", "tool"), [("legacy", "sleepy"), ("auto", "nap")])
async def test_sigterm_lets_a_call_in_flight_finish(tmp_path: Path, mode: str, tool: str) -> None:
    srv = start_server(TOOLS, tmp_path)
    try:
        async with mcp_client(srv.mcp_url, mode) as client:
            # The client checks results against the output schema from
            # tools/list; list now, since no new connection gets in later.
            await client.list_tools()
            results = []

            async def slow_call() -> None:
                results.append(await client.call_tool(tool, {"seconds": 3}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow_call)
                await anyio.sleep(0.5)  # the call is running on the server
                srv.proc.send_signal(signal.SIGTERM)
                # No new connections get in while the call runs.
                refused = False
                with anyio.move_on_after(2):
                    while not refused:
                        try:
                            httpx.get(f"{srv.base_url}/healthz", timeout=1)
                        except httpx.ConnectError:
                            refused = True
                        else:
                            await anyio.sleep(0.05)
                assert refused
                assert not results and srv.proc.poll() is None
        assert results[0].structured_content == {"result": f"{'slept' if tool == 'sleepy' else 'napped'} 3.0"}
        assert await wait_exit(srv.proc, 10) == 0, srv.log()
    finally:
        srv.stop()
    assert "received SIGTERM" in srv.log()


async def test_sigterm_waits_at_most_shutdown_timeout(tmp_path: Path) -> None:
    srv = start_server(TOOLS, tmp_path, env={"SHUTDOWN_TIMEOUT": "1"})
    try:
        async with anyio.create_task_group() as tg:

            async def endless_call() -> None:
                # The client sees the connection drop; what matters is the server's exit.
                try:
                    async with mcp_client(srv.mcp_url, "auto") as client:
                        await client.call_tool("nap", {"seconds": 60})
                except Exception:  # noqa: BLE001, S110
                    pass

            tg.start_soon(endless_call)
            await anyio.sleep(0.5)
            started = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            assert await wait_exit(srv.proc, 10) == 0, srv.log()
            elapsed = time.monotonic() - started
            tg.cancel_scope.cancel()
    finally:
        srv.stop()
    assert 0.9 < elapsed < 4.0
    assert "timeout graceful shutdown exceeded" in srv.log()


async def test_sigterm_with_an_open_stateful_session_exits_zero_quickly(tmp_path: Path) -> None:
    # Stateful mode: the client holds a GET stream open for server-to-client
    # messages, which must not hold the shutdown for SHUTDOWN_TIMEOUT.
    srv = start_server(TOOLS, tmp_path, env={"MCP_STATELESS": "0"})
    elapsed: float | None = None
    try:
        async with mcp_client(srv.mcp_url, "legacy") as client:
            result = await client.call_tool("nap", {"seconds": 0.01})
            assert result.structured_content == {"result": "napped 0.01"}
            await anyio.sleep(0.2)  # let the client open its standalone GET stream
            started = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            assert await wait_exit(srv.proc, 10) == 0, srv.log()
            elapsed = time.monotonic() - started
    except Exception:  # the client may complain while closing against a stopped server
        if elapsed is None:
            raise
    finally:
        srv.stop()
    assert elapsed is not None and elapsed < 3.0
