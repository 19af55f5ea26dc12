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
functions, a function shadowed by a later definition) makes the process print
one line such as

    rawpython: SyntaxError at line 3: invalid syntax

followed by details on stderr and exit 1, so the pod goes to CrashLoopBackOff
with the reason in its log (and in /dev/termination-log when kubelet mounts it).

The server speaks MCP 2026-07-28 (stateless requests) and the handshake-era
revisions up to 2025-11-25 on one endpoint, stateless by default so replicas
need no session affinity. /healthz is a cheap liveness check; /readyz runs a
real tools/list through the server's own HTTP handling.

Security: the params are executed as Python with the pod's identity and
service account. See README.md.
"""

from __future__ import annotations

import ast
import contextlib
import hmac
import inspect
import json
import linecache
import logging
import os
import signal
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

# The MCP SDK, uvicorn and starlette are imported where they are used, after
# the params have loaded: bad params then fail fast, without paying for them.
if TYPE_CHECKING:
    import uvicorn
    from mcp.server.mcpserver.tools import Tool
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
READY_PATH = "/readyz"
DEFAULT_TERMINATION_LOG = "/dev/termination-log"
# Kubernetes keeps at most 4096 bytes of a termination message.
TERMINATION_LOG_LIMIT = 4096
PARAMS_KEYS = {"code", "name", "instructions"}
DEFAULT_SHUTDOWN_TIMEOUT = 20.0
# Kubelet's default probe timeout is 1 s; an in-process tools/list takes
# milliseconds, so anything near this limit means the server is stuck.
READY_TIMEOUT = 0.9
MODERN_VERSION = "2026-07-28"
LEGACY_VERSION = "2025-11-25"
# Browsers put the page's origin in `Origin`; a DNS-rebinding page never has a
# loopback origin, so these are safe to accept (e.g. an inspector on localhost
# through `kubectl port-forward`).
LOOPBACK_ORIGINS = (
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
)

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
    # The keys when the string parsed as a YAML mapping without `code`: such
    # params were probably meant as YAML, which errors then point out.
    yaml_keys: list[str] | None = None

    @property
    def mapping_without_code(self) -> bool:
        return self.yaml_keys is not None

    @property
    def looks_like_yaml(self) -> bool:
        """Keys such as `name` or `instructions` (not `def f(x)`): YAML meant
        as the YAML params format, not Python that YAML happens to accept."""
        return bool(self.yaml_keys) and all(k.isidentifier() for k in self.yaml_keys or [])


@dataclass
class LoadedTool:
    name: str
    fn: Callable[..., Any]
    lineno: int | None


@dataclass
class State:
    """What /healthz and /readyz report."""

    tools: list[str] = field(default_factory=list)
    loaded: bool = False
    shutting_down: bool = False
    # MCP POSTs being answered: shutdown waits for these before it closes
    # idle SSE streams.
    inflight: int = 0

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
    keys = [str(k) for k in doc] if isinstance(doc, dict) else None
    return Params(code=text, format="python", yaml_keys=keys)


def _optional_str(doc: dict[Any, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise LoadError(f"params: `{key}` must be a string, got {type(value).__name__}")
    return str(value)


def _yaml_hint(params: Params) -> str:
    if not params.mapping_without_code:
        return ""
    keys = ", ".join(params.yaml_keys or [])
    return (
        f"{PARAMS_ENV} parsed as a YAML mapping without a `code` key (keys: {keys}), so it was run as Python."
        " For the YAML format put the functions under `code: |`."
    )


def _yaml_suffix(params: Params) -> str:
    """A note for the one-line summary when the params were surely meant as YAML."""
    return " (the params look like YAML without a `code:` key)" if params.looks_like_yaml else ""


# --------------------------------------------------------------------------
# code -> tools


def load_tools(params: Params) -> list[LoadedTool]:
    """Run the code in a fresh module and collect its public functions."""
    code = params.code
    hint = _line_hint(params)
    # A syntax error in params that YAML read as a mapping is likely YAML;
    # other errors are only blamed on YAML when the keys look like YAML keys.
    yaml_hint = _yaml_hint(params)
    yaml_hint_if_likely = yaml_hint if params.looks_like_yaml else ""
    try:
        tree = ast.parse(code, CODE_FILENAME)
        compiled = compile(tree, CODE_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as e:
        details = "".join(traceback.format_exception_only(type(e), e)).rstrip()
        raise LoadError(
            f"{type(e).__name__} at line {e.lineno}: {e.msg}{_yaml_suffix(params)}", _join(details, yaml_hint, hint)
        ) from None

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
        raise LoadError(
            f"{type(e).__name__}{where}: {message}{_yaml_suffix(params)}", _join(details, yaml_hint_if_likely, hint)
        ) from None

    check_shadowing(tree, module, hint)
    tools = collect_functions(module)
    if not tools:
        raise LoadError(
            f"no tools: the code defines no public top-level functions{_yaml_suffix(params)}",
            _join(
                "Define at least one function with `def` or `async def` at the top level;"
                " names starting with `_` and functions imported from other modules are not tools.",
                yaml_hint_if_likely,
            ),
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


# --------------------------------------------------------------------------
# shadowed functions


@dataclass
class _Binding:
    """A module-level statement that binds ``name`` (``*`` for a star import)."""

    name: str
    lineno: int
    kind: str
    # Where the statement sits: (id of an if/try/match statement, branch label)
    # pairs from the module down. Bindings in two branches of one such
    # statement never both run.
    branch: tuple[tuple[int, str], ...]
    node: ast.AST | None = None


_BINDING_WORDS = {
    "def": "defined again",
    "class": "replaced by a class of the same name",
    "import": "replaced by an import of the same name",
    "star-import": "possibly replaced by a `from ... import *`",
    "assignment": "reassigned",
    "for": "reassigned by a `for` loop",
    "with": "reassigned by a `with ... as`",
    "except": "reassigned by an `except ... as`",
    "del": "deleted",
}


def check_shadowing(tree: ast.Module, module: types.ModuleType, hint: str) -> None:
    """Refuse code in which a public function is lost to a later binding of its name.

    Only the last binding of a name survives in the module, so a function
    defined twice, or followed by an import, class or assignment of the same
    name, would silently not be a tool. Not counted: definitions in two
    branches of one ``if``/``try``/``match``, ``@overload`` stubs, and
    ``f = decorate(f)`` (the name still holds something made from ``f``)."""
    bindings = list(_module_bindings(tree.body, ()))
    for i, binding in enumerate(bindings):
        node = binding.node
        if binding.kind != "def" or binding.name.startswith("_") or not isinstance(node, _FUNCTION_NODES):
            continue
        if any(_decorator_name(d) == "overload" for d in node.decorator_list):
            continue
        if _holds_definition(module, node):
            continue
        for later in bindings[i + 1 :]:
            if later.name not in (binding.name, "*") or _exclusive(binding.branch, later.branch):
                continue
            name = binding.name
            if later.kind == "def":
                summary = f"function {name!r} is defined twice (lines {binding.lineno} and {later.lineno})"
            else:
                summary = (
                    f"function {name!r} (line {binding.lineno}) is {_BINDING_WORDS[later.kind]} at line {later.lineno}"
                )
            raise LoadError(
                summary + ", so the first would not be a tool",
                _join(
                    "Each public top-level function becomes the tool of its name, and only the last binding"
                    " of a name survives. Rename one of them, or start a helper's name with `_`.",
                    hint,
                ),
            )


_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


def _holds_definition(module: types.ModuleType, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the module's final value for the name is (a wrapper of) this very ``def``."""
    value = vars(module).get(node.name)
    if value is None or not callable(value):
        return False
    try:
        target = inspect.unwrap(value)
    except ValueError:
        return False
    code = getattr(target, "__code__", None)
    first_line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    return code is not None and code.co_filename == CODE_FILENAME and code.co_firstlineno == first_line


def _decorator_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _exclusive(a: tuple[tuple[int, str], ...], b: tuple[tuple[int, str], ...]) -> bool:
    for (sa, la), (sb, lb) in zip(a, b, strict=False):
        if sa != sb:
            return False
        if la != lb:
            return True
    return False


def _module_bindings(body: list[ast.stmt], branch: tuple[tuple[int, str], ...]) -> Iterator[_Binding]:
    for stmt in body:
        yield from _statement_bindings(stmt, branch)


def _statement_bindings(stmt: ast.stmt, branch: tuple[tuple[int, str], ...]) -> Iterator[_Binding]:
    line = stmt.lineno

    def names(target: ast.AST, kind: str) -> Iterator[_Binding]:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                yield _Binding(node.id, line, kind, branch)

    if isinstance(stmt, _FUNCTION_NODES):
        yield _Binding(stmt.name, line, "def", branch, stmt)
    elif isinstance(stmt, ast.ClassDef):
        yield _Binding(stmt.name, line, "class", branch)
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            yield _Binding(alias.asname or alias.name.split(".")[0], line, "import", branch)
    elif isinstance(stmt, ast.ImportFrom):
        for alias in stmt.names:
            if alias.name == "*":
                yield _Binding("*", line, "star-import", branch)
            else:
                yield _Binding(alias.asname or alias.name, line, "import", branch)
    elif isinstance(stmt, ast.Assign):
        rewrapped = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
        for target in stmt.targets:
            for b in names(target, "assignment"):
                if b.name not in rewrapped:
                    yield b
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        value = stmt.value
        if value is not None and isinstance(stmt.target, ast.Name):
            if stmt.target.id not in {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}:
                yield _Binding(stmt.target.id, line, "assignment", branch)
    elif isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            yield from names(target, "del")
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        yield from names(stmt.target, "for")
        yield from _module_bindings(stmt.body, branch)
        yield from _module_bindings(stmt.orelse, branch)
    elif isinstance(stmt, ast.While):
        yield from _module_bindings(stmt.body, branch)
        yield from _module_bindings(stmt.orelse, branch)
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                yield from names(item.optional_vars, "with")
        yield from _module_bindings(stmt.body, branch)
    elif isinstance(stmt, ast.If):
        yield from _module_bindings(stmt.body, (*branch, (id(stmt), "if")))
        yield from _module_bindings(stmt.orelse, (*branch, (id(stmt), "else")))
    elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        yield from _module_bindings(stmt.body, (*branch, (id(stmt), "try")))
        for n, handler in enumerate(stmt.handlers):
            handler_branch = (*branch, (id(stmt), f"except{n}"))
            if handler.name:
                yield _Binding(handler.name, handler.lineno, "except", handler_branch)
            yield from _module_bindings(handler.body, handler_branch)
        yield from _module_bindings(stmt.orelse, (*branch, (id(stmt), "try")))
        yield from _module_bindings(stmt.finalbody, branch)
    elif isinstance(stmt, ast.Match):
        for n, case in enumerate(stmt.cases):
            yield from _module_bindings(case.body, (*branch, (id(stmt), f"case{n}")))


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


def describe(fn: Callable[..., Any], name: str) -> str:
    """The tool description: the docstring, or else the call signature as a
    caller sees it (without the SDK-filled `Context` and `Resolve(...)`
    parameters), so that no tool goes out with an empty description."""
    doc = inspect.getdoc(fn)
    if doc and doc.strip():
        return doc
    try:
        signature = inspect.signature(fn, eval_str=True)
    except Exception:  # noqa: BLE001 - unresolvable string annotations
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):
            return f"{name}(...)"
    shown = [p for p in signature.parameters.values() if not _filled_by_sdk(p.annotation)]
    text = str(signature.replace(parameters=shown))
    # Classes defined in the code print as rawpython_tools.Name.
    return f"{name}{text.replace(MODULE_NAME + '.', '')}"


def _filled_by_sdk(annotation: Any) -> bool:
    import typing

    from mcp.server.mcpserver import Context, Resolve

    if inspect.isclass(annotation) and issubclass(annotation, Context):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, Resolve) for m in typing.get_args(annotation)[1:])
    return False


def make_tool(loaded: LoadedTool) -> Tool:
    """An SDK Tool whose schema comes from the function's signature.

    The SDK runs sync functions in a worker thread, so a slow tool does not
    block other requests (or the probes). An exception from the code is logged
    with its traceback and reaches the caller as an ``isError`` result with
    the exception's type and message: the tools are the deployer's own code,
    and the message is what lets a caller (or model) correct its call."""
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.server.mcpserver.tools import Tool
    from mcp.shared.exceptions import MCPError

    fn = loaded.fn
    name = loaded.name
    try:
        tool = Tool.from_function(fn, name=name, description=describe(fn, name))
    except Exception as e:  # noqa: BLE001
        where = f" (line {loaded.lineno})" if loaded.lineno else ""
        raise LoadError(
            f"cannot make a tool of function {name!r}{where}: {type(e).__name__}: {e}",
            "".join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip(),
        ) from None

    def reported(e: Exception) -> Exception:
        if isinstance(e, (MCPError, ToolError)):
            return e
        log.warning("tool %s raised", name, exc_info=e)
        error = ToolError(f"{type(e).__name__}: {e}")
        error.__cause__ = e
        return error

    if tool.is_async:

        async def run(**kwargs: Any) -> Any:
            try:
                return await fn(**kwargs)
            except Exception as e:
                raise reported(e) from e

        tool.fn = run
    else:

        def call(**kwargs: Any) -> Any:
            try:
                return fn(**kwargs)
            except Exception as e:
                raise reported(e) from e

        tool.fn = call
    return tool


# --------------------------------------------------------------------------
# HTTP: transport security


@dataclass
class Security:
    """Origin and Host checks in front of every route.

    A request whose ``Origin`` is present and not allowed gets 403 (the
    2025-11-25 transport spec's MUST, and what stops DNS rebinding: a
    rebinding page's origin is its own domain, never a loopback or listed
    one). Requests without ``Origin`` (kubelet probes, port-forwarded CLIs,
    server-side clients) pass. The Host allowlist is off unless configured,
    since probes, port-forwards, pod IPs and Service names all send different
    ``Host`` values; when on, it applies to the MCP endpoint only."""

    allowed_origins: list[str] = field(default_factory=list)
    any_origin: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    # MCP_AUTH_TOKEN: every request to the MCP endpoint must carry
    # `Authorization: Bearer <token>` (kaos sets it when it exposes the server
    # outside the cluster); the probes stay open to the kubelet.
    auth_token: str | None = None

    def authorized(self, authorization: str | None) -> bool:
        if self.auth_token is None:
            return True
        if authorization is None:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        # Compared in constant time, so the answer's timing says nothing about the token.
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.auth_token.encode())

    def origin_ok(self, origin: str | None) -> bool:
        if origin is None or self.any_origin:
            return True
        origin = origin.strip().rstrip("/").lower()
        return _matches(origin, [*LOOPBACK_ORIGINS, *self.allowed_origins])

    def host_ok(self, host: str | None) -> bool:
        if not self.allowed_hosts:
            return True
        return host is not None and _matches(host.strip().lower(), self.allowed_hosts)


def _matches(value: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/").lower()
        if value == pattern:
            return True
        # `name:*`: the name on any port, or with no port.
        if pattern.endswith(":*"):
            base = pattern[:-2]
            port = value[len(base) + 1 :]
            if value == base or (value.startswith(base + ":") and port.isdigit()):
                return True
    return False


def security_from_env(env: dict[str, str] | os._Environ[str]) -> Security:
    """MCP_ALLOWED_ORIGINS (comma-separated; `*` = any) and MCP_ALLOWED_HOSTS
    (comma-separated; unset or `*` = no Host check). Each entry may end in
    `:*` for any port."""
    origins = _split_list(env.get("MCP_ALLOWED_ORIGINS", ""))
    hosts = _split_list(env.get("MCP_ALLOWED_HOSTS", ""))
    token = env.get("MCP_AUTH_TOKEN")
    if token is not None and not token.strip():
        # Set but empty (an empty Secret key): serving without a check would
        # be the opposite of what was asked.
        raise LoadError("MCP_AUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it")
    return Security(
        allowed_origins=[o for o in origins if o != "*"],
        any_origin="*" in origins,
        allowed_hosts=[] if "*" in hosts else hosts,
        auth_token=token.strip() if token is not None else None,
    )


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _rpc_error(message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}


def guard(app: ASGIApp, security: Security, *, stateless: bool) -> ASGIApp:
    """Origin/Host checks for every request; in stateless mode, 405 for
    GET /mcp (there is no session whose server-to-client stream it could be)."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if not security.origin_ok(origin):
            log.warning("refused a request to %s from Origin %r", scope.get("path"), origin)
            message = f"Invalid Origin header: {origin!r} is not allowed (list it in MCP_ALLOWED_ORIGINS)"
            await _send_json(send, 403, _rpc_error(message))
            return
        if scope.get("path") == MCP_PATH:
            host = _header(scope, b"host")
            if not security.host_ok(host):
                log.warning("refused a request with Host %r", host)
                message = f"Invalid Host header: {host!r} is not allowed (list it in MCP_ALLOWED_HOSTS)"
                await _send_json(send, 421, _rpc_error(message))
                return
            if not security.authorized(_header(scope, b"authorization")):
                given = _header(scope, b"authorization") is not None
                log.warning("refused a request to %s: %s bearer token", MCP_PATH, "wrong" if given else "no")
                message = "Unauthorized: this server needs Authorization: Bearer <token> (the token kaos generated: kaos mcp token NAME)"
                challenge = b'Bearer realm="mcp", error="invalid_token"' if given else b'Bearer realm="mcp"'
                await _send_json(send, 401, _rpc_error(message), [(b"www-authenticate", challenge)])
                return
            if stateless and scope.get("method") == "GET":
                message = "Method Not Allowed: this server is stateless and has no server-to-client stream"
                await _send_json(send, 405, _rpc_error(message), [(b"allow", b"POST")])
                return
        await app(scope, receive, send)

    return guarded


# --------------------------------------------------------------------------
# HTTP: JSON answers unless the call streams


def json_unless_streaming(app: ASGIApp, state: State) -> ASGIApp:
    """Answer an MCP POST with plain JSON unless it needs a stream.

    The SDK answers handshake-era POSTs with an SSE stream even when the only
    thing on it is the response. This holds such a stream back: once it ends
    with just the response, the response goes out as ``application/json``; as
    soon as anything else appears (a progress or log notification, or the
    SDK's keep-alive ping after 15 s of silence) the stream is let through as
    it is. The 2026-07-28 path of the SDK already behaves this way, and both
    are valid answers to a client that accepts both. Also counts the POSTs in
    flight for the graceful shutdown."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != MCP_PATH or scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        held = _HeldStream(send)
        state.inflight += 1
        try:
            await app(scope, receive, held.send)
        finally:
            state.inflight -= 1

    return handle


class _HeldStream:
    """The ``send`` side of json_unless_streaming for one request."""

    def __init__(self, send: Send) -> None:
        self.downstream = send
        self.start: Message | None = None
        self.buffered = b""
        self.passing = False

    async def send(self, message: Message) -> None:
        if self.passing:
            await self.downstream(message)
            return
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if content_type.startswith(b"text/event-stream"):
                self.start = message
            else:
                self.passing = True
                await self.downstream(message)
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.downstream(message)
            return
        self.buffered += message.get("body", b"")
        ended = not message.get("more_body", False)
        if not _only_responses(self.buffered, complete=ended):
            await self.let_through(ended)
            return
        if ended:
            responses = _sse_messages(self.buffered)
            if len(responses) != 1:
                await self.let_through(ended)
                return
            kept = [(k, v) for k, v in self.start.get("headers", []) if k.lower() not in _SSE_ONLY_HEADERS]
            await _send_json(self.downstream, self.start["status"], responses[0], kept)

    async def let_through(self, ended: bool) -> None:
        assert self.start is not None
        self.passing = True
        await self.downstream(self.start)
        await self.downstream({"type": "http.response.body", "body": self.buffered, "more_body": not ended})
        self.buffered = b""


_SSE_ONLY_HEADERS = {b"content-type", b"content-length", b"cache-control", b"connection", b"x-accel-buffering"}


def _sse_events(data: bytes) -> tuple[list[list[str]], bytes]:
    """Complete SSE events (their lines) and the incomplete rest."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    *complete, rest = text.split(b"\n\n")
    events = [chunk.decode("utf-8", "replace").split("\n") for chunk in complete if chunk.strip()]
    return events, rest


def _event_json(lines: list[str]) -> Any:
    """The JSON in an event's data lines; None for comments and empty data."""
    data = [line[5:].removeprefix(" ") for line in lines if line.startswith("data:")]
    if not data or not "".join(data).strip():
        return None
    try:
        return json.loads("\n".join(data))
    except ValueError:
        return None


def _is_response(message: Any) -> bool:
    return isinstance(message, dict) and "id" in message and ("result" in message or "error" in message)


def _only_responses(data: bytes, *, complete: bool) -> bool:
    """Whether everything in the stream so far is JSON-RPC responses."""
    events, rest = _sse_events(data)
    if complete and rest.strip():
        return False
    return all(_is_response(_event_json(lines)) for lines in events)


def _sse_messages(data: bytes) -> list[Any]:
    events, _ = _sse_events(data)
    return [_event_json(lines) for lines in events]


# --------------------------------------------------------------------------
# HTTP: readiness


async def asgi_request(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes, server: tuple[str, int] | None
) -> tuple[int, dict[str, str], bytes]:
    """One request through an ASGI app in this process: status, headers, body."""
    import anyio

    done = anyio.Event()
    sent_body = False
    status = 0
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.update({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 0),
        "server": server,
        "state": {},
    }
    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, response_headers, b"".join(chunks)


def _response_message(headers: dict[str, str], body: bytes) -> Any:
    if headers.get("content-type", "").startswith("text/event-stream"):
        messages = [m for m in _sse_messages(body) if _is_response(m)]
        return messages[0] if messages else None
    return json.loads(body)


async def list_tools_over_http(app: ASGIApp, version: str, server: tuple[str, int] | None) -> list[str]:
    """tools/list through the MCP endpoint's own HTTP handling, at ``version``
    (a 2026-07-28 request, or a handshake-era one that a stateless server
    answers without a session); raises with what went wrong."""
    params: dict[str, Any] = {}
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": version,
    }
    if version == MODERN_VERSION:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "rawpython-readyz", "version": "1"},
        }
        headers["mcp-method"] = "tools/list"
    body = json.dumps({"jsonrpc": "2.0", "id": "readyz", "method": "tools/list", "params": params}).encode()
    status, response_headers, raw = await asgi_request(app, "POST", MCP_PATH, headers, body, server)
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {raw[:200].decode('utf-8', 'replace')}")
    message = _response_message(response_headers, raw)
    if not isinstance(message, dict) or "result" not in message:
        raise RuntimeError(f"no tools/list result: {raw[:200].decode('utf-8', 'replace')}")
    return [tool["name"] for tool in message["result"].get("tools", [])]


# --------------------------------------------------------------------------
# HTTP: the app


def build_app(
    tools: list[Tool],
    *,
    name: str | None = None,
    instructions: str | None = None,
    stateless: bool = True,
    security: Security | None = None,
    state: State | None = None,
    log_level: str = "INFO",
) -> tuple[ASGIApp, State]:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    state = state or State()
    state.tools = [t.name for t in tools]
    mcp = MCPServer(
        name=name or DEFAULT_SERVER_NAME,
        instructions=instructions,
        version=_runtime_version(),
        tools=tools,
        log_level=log_level,  # type: ignore[arg-type]
    )
    accept_logging_level(mcp)
    # The handler behind /mcp, without the Origin/Host guard: what /readyz
    # exercises. Set below, once the app exists.
    mcp_app: list[ASGIApp] = []

    @mcp.custom_route(HEALTH_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def healthz(request: Request) -> Response:
        # Liveness: the event loop answers. Nothing else, so that a slow or
        # broken tool never gets the container restarted.
        if state.ready:
            return JSONResponse({"status": "ok", "tools": state.tools})
        status = "shutting down" if state.shutting_down else "tools not loaded"
        return JSONResponse({"status": status, "tools": state.tools}, status_code=503)

    @mcp.custom_route(READY_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def readyz(request: Request) -> Response:
        import anyio

        if not state.ready:
            status = "shutting down" if state.shutting_down else "tools not loaded"
            return JSONResponse({"status": status}, status_code=503)
        versions = [MODERN_VERSION, LEGACY_VERSION] if stateless else [MODERN_VERSION]
        checked: dict[str, str] = {}
        server = request.scope.get("server")
        for version in versions:
            try:
                with anyio.fail_after(READY_TIMEOUT):
                    listed = await list_tools_over_http(mcp_app[0], version, server)
                if listed != state.tools:
                    raise RuntimeError(f"listed {listed}, expected {state.tools}")
                checked[version] = "ok"
            except Exception as e:  # noqa: BLE001 - any failure means not ready
                reason = "timed out" if isinstance(e, TimeoutError) else f"{type(e).__name__}: {e}"
                log.warning("readiness: tools/list at %s failed: %s", version, reason)
                return JSONResponse(
                    {"status": f"tools/list failed at {version}", "error": reason, "checked": checked},
                    status_code=503,
                )
        return JSONResponse({"status": "ok", "tools": state.tools, "checked": checked})

    inner = mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        # Origin/Host are checked in front (guard); the SDK's own check needs a
        # Host allowlist before it looks at Origin.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    mcp_app.append(json_unless_streaming(inner, state))
    return guard(mcp_app[0], security or Security(), stateless=stateless), state


def accept_logging_level(mcp: Any) -> None:
    """Answer the handshake-era `logging/setLevel` (and so declare the logging
    capability) for tools that log through their `Context`.

    MCPServer 2.x leaves the request unhandled (logging is deprecated as of
    2026-07-28, where a request opts in to log messages through its `_meta`).
    The level is not kept: a stateless server has no client to keep it for,
    and before 2026-07-28 every level may be sent."""
    from mcp.types import EmptyResult, SetLevelRequestParams

    async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        return EmptyResult()

    # The low-level server is the SDK's only way to add a spec method handler.
    mcp._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)


def _runtime_version() -> str:
    with contextlib.suppress(OSError):
        return (Path(__file__).resolve().parent / "VERSION").read_text().strip()
    return ""


# --------------------------------------------------------------------------
# serving and shutdown


def make_server(config: uvicorn.Config, state: State) -> uvicorn.Server:
    """A uvicorn.Server whose shutdown lets MCP calls in flight finish.

    On SIGTERM: /healthz and /readyz turn 503 at once; uvicorn stops
    accepting connections and waits (at most SHUTDOWN_TIMEOUT) for open ones.
    SSE streams are normally cut by sse-starlette as soon as uvicorn exits,
    which would drop a tool call's answer; here they are cut only once no MCP
    POST is in flight any more, which ends idle server-to-client streams
    (stateful mode) without losing answers."""
    import anyio
    import uvicorn
    from sse_starlette.sse import AppStatus

    AppStatus.disable_automatic_graceful_drain()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: types.FrameType | None) -> None:
            if not state.shutting_down:
                log.info("received %s, shutting down", signal.Signals(sig).name)
            state.shutting_down = True
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: Any = None) -> None:
            async def close_streams_when_idle() -> None:
                while state.inflight:
                    await anyio.sleep(0.05)
                AppStatus.should_exit = True

            async with anyio.create_task_group() as tg:
                tg.start_soon(close_streams_when_idle)
                await super().shutdown(sockets)
                tg.cancel_scope.cancel()
            AppStatus.should_exit = True

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


def _env_bool(env: dict[str, str] | os._Environ[str], key: str, *, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise LoadError(f"{key} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")


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
        # Per-request transport bookkeeping lines are noise.
        logging.getLogger("mcp.server.streamable_http_manager").setLevel(logging.WARNING)
        logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)

    # SIGTERM before the server is up (e.g. while slow code loads) exits 0 too.
    signal.signal(signal.SIGTERM, _terminate)

    try:
        host = env.get("HOST", "").strip() or DEFAULT_HOST
        port = _env_int(env, "PORT", DEFAULT_PORT)
        shutdown_timeout = _env_float(env, "SHUTDOWN_TIMEOUT", DEFAULT_SHUTDOWN_TIMEOUT)
        stateless = _env_bool(env, "MCP_STATELESS", default=True)
        params = parse_params(env.get(PARAMS_ENV))
        loaded = load_tools(params)
        tools = [make_tool(t) for t in loaded]
        name = params.name or env.get("MCP_SERVER_NAME") or DEFAULT_SERVER_NAME
        app, state = build_app(
            tools,
            name=name,
            instructions=params.instructions,
            stateless=stateless,
            security=security_from_env(env),
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
    log.info(
        "serving MCP (%s, %s and earlier) on http://%s:%d%s (liveness %s, readiness %s)",
        "stateless" if stateless else "stateful",
        f"{MODERN_VERSION}, {LEGACY_VERSION}",
        host,
        port,
        MCP_PATH,
        HEALTH_PATH,
        READY_PATH,
    )

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
