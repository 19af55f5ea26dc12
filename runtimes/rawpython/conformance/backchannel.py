"""Tools for the conformance scenarios in which a tool sends a request back to
the client (sampling, elicitation). That needs a session, so conformance.sh runs
these with MCP_STATELESS=0 in a second pass, appended to tools.py."""

from mcp.server.mcpserver import Context
from mcp.types import SamplingMessage, TextContent


async def test_sampling(prompt: str, ctx: Context) -> str:
    """Ask the client's model to answer the prompt."""
    result = await ctx.session.create_message(
        [SamplingMessage(role="user", content=TextContent(type="text", text=prompt))], max_tokens=100
    )
    text = getattr(result.content, "text", "")
    return f"LLM response: {text}"


async def test_elicitation(message: str, ctx: Context) -> str:
    """Ask the user for a username and an email."""
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    result = await ctx.session.elicit_form(message, schema, ctx.request_id)
    return f"User response: action={result.action}, content={result.content}"


async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Ask for values of every primitive type, each with a default."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": True},
        },
        "required": [],
    }
    result = await ctx.session.elicit_form("Please review and update the form fields with defaults", schema)
    return f"Elicitation completed: action={result.action}, content={result.content}"


async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Ask for one value of each enum schema variant."""
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {
                "type": "string",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"},
                ],
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"},
                    ]
                },
            },
        },
        "required": [],
    }
    result = await ctx.session.elicit_form("Please select options from the enum fields", schema)
    return f"Elicitation completed: action={result.action}, content={result.content}"
