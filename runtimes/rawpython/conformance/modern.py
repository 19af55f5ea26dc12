"""Tools for 2026-07-28 scenarios, appended to tools.py in conformance.sh's
2026-07-28 pass: a tool that needs the client's sampling capability (served
through the SDK's input-required flow) and one with an `x-mcp-header` parameter."""

from typing import Annotated

from mcp.server.mcpserver import Resolve, Sample
from mcp.types import CreateMessageResult, SamplingMessage, TextContent
from pydantic import Field


def _ask_model() -> Sample:
    return Sample([SamplingMessage(role="user", content=TextContent(type="text", text="Say hello"))], max_tokens=20)


async def test_missing_capability(reply: Annotated[CreateMessageResult, Resolve(_ask_model)]) -> str:
    """Answer with what the client's model said (needs the sampling capability)."""
    return f"LLM response: {getattr(reply.content, 'text', '')}"


def test_header_param(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
    """Echo a parameter that also travels as the Mcp-Param-Region header."""
    return f"region: {region}"
