"""Helpers: start server.py as a real subprocess on a free port and talk to it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mcp import Client

HERE = Path(__file__).resolve().parent
RUNTIME_DIR = HERE.parent
SERVER = RUNTIME_DIR / "server.py"

sys.path.insert(0, str(RUNTIME_DIR))

START_TIMEOUT = 20.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def base_env() -> dict[str, str]:
    """The test process's env without anything that configures the server."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV_KEYS}
    env["PYTHONUNBUFFERED"] = "1"
    return env


SERVER_ENV_KEYS = {
    "MCP_TOOLS_STRING",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "MCP_STATELESS",
    "MCP_ALLOWED_HOSTS",
    "MCP_ALLOWED_ORIGINS",
    "MCP_SERVER_NAME",
    "SHUTDOWN_TIMEOUT",
    "RAWPYTHON_TERMINATION_LOG",
}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_server(
    params: str | None, tmp_path: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Server:
    """Start server.py and wait until /readyz answers 200."""
    full_env = base_env()
    if params is not None:
        full_env["MCP_TOOLS_STRING"] = params
    if port is None:
        port = free_port()
        full_env["PORT"] = str(port)
    full_env.setdefault("HOST", "127.0.0.1")
    full_env.update(env or {})
    log_path = tmp_path / f"server-{port}.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([sys.executable, str(SERVER)], env=full_env, stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    server = Server(proc=proc, port=port, log_path=log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode} at start:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/readyz", timeout=1.0).status_code == 200:
                return server
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"server not healthy after {START_TIMEOUT}s:\n{server.log()}")


@contextlib.contextmanager
def running_server(params: str | None, tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = start_server(params, tmp_path, env)
    try:
        yield server
    finally:
        server.stop()


def run_to_exit(
    params: str | None, env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run server.py expecting it to exit by itself (bad params)."""
    full_env = base_env()
    if params is not None:
        full_env["MCP_TOOLS_STRING"] = params
    full_env["PORT"] = str(free_port())
    full_env["HOST"] = "127.0.0.1"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(SERVER)], env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


# The MCP Python SDK 2.x client's connect modes: "auto" asks `server/discover`
# and speaks 2026-07-28 when the server does (falling back to the initialize
# handshake otherwise); "legacy" forces the initialize handshake, which ends at
# 2025-11-25 against this server.
MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@contextlib.asynccontextmanager
async def mcp_client(url: str, mode: str = "auto", **kwargs: object) -> AsyncIterator[Client]:
    """A connected MCP client (the real SDK client) over streamable HTTP."""
    async with Client(url, mode=mode, **kwargs) as client:  # type: ignore[arg-type]
        yield client
