"""kaos rawpython runtime: serve the Python functions given in an MCPServer's
params as MCP tools over streamable HTTP.

The params arrive in the env var MCP_TOOLS_STRING, either as a YAML mapping

    code: |
      def add(a: int, b: int) -> int:
          \"\"\"Add two numbers.\"\"\"
          return a + b
    name: calculator          # optional, the MCP server name
    instructions: Use add.    # optional, the MCP server instructions

or as plain Python source. Every public top-level function the code defines
becomes a tool (name, docstring as description, type hints as input schema).

Code that does not load (syntax error, exception at import time, no
functions) makes the process print one line such as

    rawpython: SyntaxError at line 3: invalid syntax

followed by details on stderr and exit 1, so the pod goes to CrashLoopBackOff
with the reason in its log (and in /dev/termination-log when kubelet mounts it).

Security: the params are executed as Python with the pod's identity and
service account. See README.md.
"""

from __future__ import annotations

import contextlib
import inspect
import linecache
import logging
import os
import signal
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

# The MCP SDK, uvicorn and starlette are imported where they are used, after
# the params have loaded: bad params then fail fast, without paying for them.
if TYPE_CHECKING:
    import uvicorn
    from mcp.server.fastmcp.tools import Tool
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.applications import Starlette

PARAMS_ENV = "MCP_TOOLS_STRING"
# File name the code is compiled under: it appears in tracebacks and messages.
CODE_FILENAME = "<params>"
# Module the code runs in; functions whose __module__ differs were imported.
MODULE_NAME = "rawpython_tools"
DEFAULT_SERVER_NAME = "rawpython"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8000
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
DEFAULT_TERMINATION_LOG = "/dev/termination-log"
# Kubernetes keeps at most 4096 bytes of a termination message.
TERMINATION_LOG_LIMIT = 4096
PARAMS_KEYS = {"code", "name", "instructions"}

log = logging.getLogger("rawpython")


class Terminated(BaseException):  # noqa: N818 - not an error
    """SIGTERM/SIGINT arrived before the server was up."""


def _terminate(sig: int, frame: types.FrameType | None) -> None:
    raise Terminated(sig)


class LoadError(Exception):
    """The params could not be turned into tools.

    ``summary`` is the one line printed first (after ``rawpython: ``),
    ``details`` the lines that follow it (traceback, hints)."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details


@dataclass
class Params:
    code: str
    name: str | None = None
    instructions: str | None = None
    # "yaml" (a mapping with `code`) or "python" (the whole string is code).
    format: str = "python"
    # The string parsed as a YAML mapping without `code`: a hint for errors.
    mapping_without_code: bool = False


@dataclass
class LoadedTool:
    name: str
    fn: Callable[..., Any]
    lineno: int | None


@dataclass
class State:
    """What /healthz reports."""

    tools: list[str] = field(default_factory=list)
    loaded: bool = False
    shutting_down: bool = False

    @property
    def ready(self) -> bool:
        return self.loaded and not self.shutting_down


# --------------------------------------------------------------------------
# params


def parse_params(text: str | None) -> Params:
    """Decide between the YAML and the plain-Python params formats.

    The string is parsed as YAML; a mapping with a ``code`` key is the YAML
    format, anything else (a YAML error, a scalar, a mapping without
    ``code``, which plain Python such as ``def f(x):`` + indented body can
    parse as) means the whole string is Python source."""
    if text is None or not text.strip():
        raise LoadError(
            f"{PARAMS_ENV} is empty or unset: no code to load",
            "Set the MCPServer's params to Python source, or to YAML with a `code: |` block.",
        )
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict) and "code" in doc:
        code = doc["code"]
        if not isinstance(code, str):
            raise LoadError(
                f"params: `code` must be a string, got {type(code).__name__}",
                "Write the functions as a YAML block scalar:\n"
                "code: |\n  def add(a: int, b: int) -> int:\n      return a + b",
            )
        name = _optional_str(doc, "name")
        instructions = _optional_str(doc, "instructions")
        unknown = sorted(str(k) for k in doc if k not in PARAMS_KEYS)
        if unknown:
            log.warning("params: ignoring unknown keys: %s", ", ".join(unknown))
        return Params(code=code, name=name, instructions=instructions, format="yaml")
    return Params(code=text, format="python", mapping_without_code=isinstance(doc, dict))


def _optional_str(doc: dict[Any, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise LoadError(f"params: `{key}` must be a string, got {type(value).__name__}")
    return str(value)


# --------------------------------------------------------------------------
# code -> tools


def load_tools(params: Params) -> list[LoadedTool]:
    """Run the code in a fresh module and collect its public functions."""
    code = params.code
    hint = _line_hint(params)
    try:
        compiled = compile(code, CODE_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as e:
        details = "".join(traceback.format_exception_only(type(e), e)).rstrip()
        if params.mapping_without_code:
            details += (
                f"\n{PARAMS_ENV} parsed as a YAML mapping without a `code` key, so it was run as Python."
                " For the YAML format put the functions under `code: |`."
            )
        raise LoadError(f"{type(e).__name__} at line {e.lineno}: {e.msg}", _join(details, hint)) from None

    # Let tracebacks (start-up errors and tool errors) show the source lines.
    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = CODE_FILENAME
    sys.modules[MODULE_NAME] = module
    try:
        exec(compiled, module.__dict__)  # noqa: S102 - running the params is the point of this runtime
    except Terminated:
        raise
    except BaseException as e:  # noqa: BLE001 - SystemExit/KeyboardInterrupt from the code are load errors too
        tb = e.__traceback__.tb_next if e.__traceback__ else None  # drop this frame
        lineno = _last_code_line(tb)
        where = f" at line {lineno}" if lineno else ""
        message = str(e) or repr(e)
        details = "".join(traceback.format_exception(type(e), e, tb)).rstrip()
        raise LoadError(f"{type(e).__name__}{where}: {message}", _join(details, hint)) from None

    tools = collect_functions(module)
    if not tools:
        raise LoadError(
            "no tools: the code defines no public top-level functions",
            "Define at least one function with `def` or `async def` at the top level;"
            " names starting with `_` and functions imported from other modules are not tools.",
        )
    return tools


def collect_functions(module: types.ModuleType) -> list[LoadedTool]:
    """Public top-level functions defined in ``module``, in definition order.

    Skipped: names starting with ``_``, lambdas, classes, and anything whose
    underlying function comes from another module (imports). Functions
    wrapped by a decorator that uses ``functools.wraps`` count as defined
    here. A function bound to several names is registered once."""
    found: list[LoadedTool] = []
    seen: set[int] = set()
    for name, obj in list(vars(module).items()):
        if name.startswith("_") or inspect.isclass(obj) or not callable(obj):
            continue
        try:
            target = inspect.unwrap(obj)
        except ValueError:  # a __wrapped__ cycle
            continue
        if not inspect.isfunction(target):
            continue
        if target.__module__ != module.__name__ or target.__name__ == "<lambda>":
            continue
        if id(target) in seen:
            continue
        seen.add(id(target))
        found.append(LoadedTool(name=name, fn=obj, lineno=target.__code__.co_firstlineno))
    return found


def _last_code_line(tb: types.TracebackType | None) -> int | None:
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_FILENAME:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _line_hint(params: Params) -> str:
    if params.format == "yaml":
        return "(line numbers count from the first line of the params' `code` block)"
    return ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def make_tool(loaded: LoadedTool) -> Tool:
    """A FastMCP Tool whose schema comes from the function's signature.

    Sync functions run in a worker thread so a slow tool does not block
    other requests (or /healthz); failures are logged with a traceback and
    become an ``isError`` result for the caller."""
    import anyio.to_thread
    from mcp.server.fastmcp.tools import Tool

    fn = loaded.fn
    try:
        tool = Tool.from_function(fn, name=loaded.name, description=inspect.getdoc(fn) or "")
    except Exception as e:  # noqa: BLE001
        where = f" (line {loaded.lineno})" if loaded.lineno else ""
        raise LoadError(
            f"cannot make a tool of function {loaded.name!r}{where}: {type(e).__name__}: {e}",
            "".join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip(),
        ) from None

    name = loaded.name
    if tool.is_async:

        async def run(**kwargs: Any) -> Any:
            try:
                return await fn(**kwargs)
            except Exception:
                log.warning("tool %s raised", name, exc_info=True)
                raise

    else:

        def call(kwargs: dict[str, Any]) -> Any:
            try:
                return fn(**kwargs)
            except Exception:
                log.warning("tool %s raised", name, exc_info=True)
                raise

        async def run(**kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(call, kwargs)

    tool.fn = run
    tool.is_async = True
    return tool


# --------------------------------------------------------------------------
# HTTP app


def transport_security_from_env(env: dict[str, str] | os._Environ[str]) -> TransportSecuritySettings:
    """Host/Origin checks for /mcp.

    FastMCP's DNS-rebinding protection only accepts listed Host headers and
    answers 421 to anything else, which breaks kubelet probes, port-forwards
    (Host: 127.0.0.1:<random>), pod IPs and service DNS names. So it is off
    unless MCP_ALLOWED_HOSTS lists the accepted Host values (comma-separated;
    ``name:*`` allows any port). MCP_ALLOWED_ORIGINS likewise lists accepted
    Origin headers (requests without Origin are always accepted)."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = _split_list(env.get("MCP_ALLOWED_HOSTS", ""))
    origins = _split_list(env.get("MCP_ALLOWED_ORIGINS", ""))
    if not hosts or "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def build_app(
    tools: list[Tool],
    *,
    name: str | None = None,
    instructions: str | None = None,
    stateless: bool = False,
    transport_security: TransportSecuritySettings | None = None,
    state: State | None = None,
    log_level: str = "INFO",
) -> tuple[Starlette, State]:
    from mcp.server.fastmcp import FastMCP
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    state = state or State()
    state.tools = [t.name for t in tools]
    mcp = FastMCP(
        name=name or DEFAULT_SERVER_NAME,
        instructions=instructions,
        tools=tools,
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        transport_security=transport_security or TransportSecuritySettings(enable_dns_rebinding_protection=False),
        log_level=log_level,  # type: ignore[arg-type]
    )

    @mcp.custom_route(HEALTH_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def healthz(request: Request) -> Response:
        if state.ready:
            return JSONResponse({"status": "ok", "tools": state.tools})
        status = "shutting down" if state.shutting_down else "tools not loaded"
        return JSONResponse({"status": status, "tools": state.tools}, status_code=503)

    return mcp.streamable_http_app(), state


def make_server(config: uvicorn.Config, state: State) -> uvicorn.Server:
    """A uvicorn.Server that turns /healthz to 503 as soon as shutdown starts."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: types.FrameType | None) -> None:
            if not state.shutting_down:
                log.info("received %s, shutting down", signal.Signals(sig).name)
            state.shutting_down = True
            super().handle_exit(sig, frame)

    return Server(config)


# --------------------------------------------------------------------------
# main


def report_failure(error: LoadError, env: dict[str, str] | os._Environ[str]) -> None:
    first = f"rawpython: {error.summary}"
    text = _join(first, error.details)
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
    path = env.get("RAWPYTHON_TERMINATION_LOG", DEFAULT_TERMINATION_LOG)
    # Only write where kubelet (or a test) has made the file: never create it.
    if path and os.path.isfile(path):
        with contextlib.suppress(OSError):
            data = text.encode("utf-8", "replace")[:TERMINATION_LOG_LIMIT]
            with open(path, "wb") as f:
                f.write(data)


def _env_int(env: dict[str, str] | os._Environ[str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise LoadError(f"{key} must be an integer, got {raw!r}") from None


def _env_float(env: dict[str, str] | os._Environ[str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise LoadError(f"{key} must be a number, got {raw!r}") from None


def _env_bool(env: dict[str, str] | os._Environ[str], key: str) -> bool:
    return env.get(key, "").strip().lower() in ("1", "true", "yes", "on")


def _ignore_signal(sig: int, frame: types.FrameType | None) -> None:
    """Handler in place outside uvicorn's own: uvicorn re-raises the signal
    that stopped it once it has shut down, which must not kill the process
    (that would make the exit status 143 instead of 0)."""


def main() -> int:
    env = os.environ
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        level = "INFO"
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    if level != "DEBUG":
        # One "Processing request of type ..." line per MCP request is noise.
        logging.getLogger("mcp.server.lowlevel.server").setLevel(logging.WARNING)

    # SIGTERM before the server is up (e.g. while slow code loads) exits 0 too.
    signal.signal(signal.SIGTERM, _terminate)

    try:
        host = env.get("HOST", "").strip() or DEFAULT_HOST
        port = _env_int(env, "PORT", DEFAULT_PORT)
        shutdown_timeout = _env_float(env, "SHUTDOWN_TIMEOUT", 5.0)
        params = parse_params(env.get(PARAMS_ENV))
        loaded = load_tools(params)
        tools = [make_tool(t) for t in loaded]
        name = params.name or env.get("MCP_SERVER_NAME") or DEFAULT_SERVER_NAME
        app, state = build_app(
            tools,
            name=name,
            instructions=params.instructions,
            stateless=_env_bool(env, "MCP_STATELESS"),
            transport_security=transport_security_from_env(env),
            log_level=level,
        )
    except LoadError as e:
        report_failure(e, env)
        return 1
    except Terminated:
        log.info("terminated while loading the code")
        return 0

    state.loaded = True
    log.info("loaded %d tool(s) from %s params: %s", len(tools), params.format, ", ".join(state.tools))
    log.info("serving MCP on http://%s:%d%s (health: %s)", host, port, MCP_PATH, HEALTH_PATH)

    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # use the logging set up above
        log_level=level.lower(),
        access_log=level == "DEBUG",
        timeout_graceful_shutdown=shutdown_timeout,
        lifespan="on",
    )
    server = make_server(config, state)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _ignore_signal)
    try:
        server.run()
    except SystemExit as e:  # uvicorn exits 3 when it cannot bind
        code = e.code if isinstance(e.code, int) else 1
        if code:
            report_failure(LoadError(f"could not serve on {host}:{port} (see the error above)"), env)
        return code
    if not server.started and not state.shutting_down:
        report_failure(LoadError(f"could not serve on {host}:{port} (see the error above)"), env)
        return 1
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
