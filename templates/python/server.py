"""{{name}}: an MCP server built with FastMCP from the official MCP Python SDK.

Run it locally:    python server.py          (streamable HTTP on http://0.0.0.0:8000/mcp)
Build the image:   kaos mcp build
Deploy it:         kaos mcp deploy            (in this folder: uses the image kaos mcp build recorded)
"""

import os

from mcp.server.fastmcp import FastMCP
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse

# FastMCP turns on a DNS-rebinding Host allowlist (localhost only) when it binds a loopback
# address, and then answers 421 to kubelet probes, Service names and port-forwards. Inside a
# cluster the server binds 0.0.0.0 and the allowlist stays off; set MCP_ALLOWED_HOSTS
# (comma-separated "host:port" patterns, "host:*" for any port) to turn it back on.
_allowed_hosts = [h.strip() for h in os.environ.get("MCP_ALLOWED_HOSTS", "").split(",") if h.strip()]

mcp = FastMCP(
    "{{name}}",
    host=os.environ.get("HOST", "0.0.0.0"),
    port=int(os.environ.get("PORT", "8000")),
    streamable_http_path=os.environ.get("MCP_PATH", "/mcp"),
    transport_security=TransportSecuritySettings(
        enable_dns_rebinding_protection=bool(_allowed_hosts),
        allowed_hosts=_allowed_hosts,
    ),
)


@mcp.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@mcp.tool()
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@mcp.custom_route("/healthz", methods=["GET"])
async def healthz(request: Request) -> JSONResponse:
    """Liveness for Kubernetes probes; MCP itself is served at /mcp."""
    return JSONResponse({"status": "ok"})


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
