"""Tools for the MCP conformance suite's server scenarios, written as rawpython
params: each function is named and shaped as the scenario that calls it expects."""

import base64

from mcp.server.mcpserver import Context
from mcp.types import AudioContent, EmbeddedResource, ImageContent, TextContent, TextResourceContents

# A 1x1 red PNG and a 1-sample silent WAV, small enough to inline.
RED_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
SILENT_WAV = base64.b64encode(
    b"RIFF"
    + (38).to_bytes(4, "little")
    + b"WAVEfmt "
    + (16).to_bytes(4, "little")
    + (1).to_bytes(2, "little")
    + (1).to_bytes(2, "little")
    + (8000).to_bytes(4, "little")
    + (16000).to_bytes(4, "little")
    + (2).to_bytes(2, "little")
    + (16).to_bytes(2, "little")
    + b"data"
    + (2).to_bytes(4, "little")
    + b"\x00\x00"
).decode()


def test_simple_text() -> str:
    """Return a fixed text."""
    return "This is a simple text response for testing."


def test_image_content() -> ImageContent:
    """Return a 1x1 red PNG."""
    return ImageContent(type="image", data=RED_PIXEL_PNG, mime_type="image/png")


def test_audio_content() -> AudioContent:
    """Return a tiny silent WAV."""
    return AudioContent(type="audio", data=SILENT_WAV, mime_type="audio/wav")


def test_embedded_resource() -> EmbeddedResource:
    """Return an embedded text resource."""
    return EmbeddedResource(
        type="resource",
        resource=TextResourceContents(
            uri="test://embedded-resource", mime_type="text/plain", text="This is an embedded resource content."
        ),
    )


def test_multiple_content_types() -> list:
    """Return text, an image and a resource."""
    return [
        TextContent(type="text", text="Multiple content types test:"),
        ImageContent(type="image", data=RED_PIXEL_PNG, mime_type="image/png"),
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(
                uri="test://mixed-content-resource", mime_type="application/json", text='{"test":"data","value":123}'
            ),
        ),
    ]


async def test_tool_with_logging(ctx: Context) -> str:
    """Send three log messages while running."""
    await ctx.info("Tool execution started")
    await ctx.info("Tool processing data")
    await ctx.info("Tool execution completed")
    return "Logging test completed"


async def test_tool_with_progress(ctx: Context) -> str:
    """Report progress 0, 50 and 100 of 100."""
    for done in (0, 50, 100):
        await ctx.report_progress(done, 100, f"{done}% done")
    return "Progress test completed"


def test_error_handling() -> str:
    """Always fail."""
    raise RuntimeError("This tool intentionally returns an error for testing")
