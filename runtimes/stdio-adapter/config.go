package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

const (
	modeShared     = "shared"
	modePerSession = "per-session"
	envPrefix      = "KAOS_ADAPTER_"
)

type config struct {
	host           string
	port           int
	path           string
	mode           string
	idleTimeout    time.Duration
	maxSessions    int
	initTimeout    time.Duration
	allowedOrigins []string
	grace          time.Duration
	clientCaps     json.RawMessage
	command        []string
	showVersion    bool
	// authToken: requests to the MCP path must send it as a bearer token. Only from the
	// environment (KAOS_ADAPTER_AUTH_TOKEN): a flag would show it in the process list.
	authToken string
}

const usageText = `kaos-stdio-adapter serves MCP streamable HTTP for an MCP server that speaks stdio.

Usage:
  kaos-stdio-adapter [flags] -- COMMAND [ARGS...]
  kaos-stdio-adapter install DIR     copy this executable into DIR (for an init container)
  kaos-stdio-adapter probe [--url URL] [--bearer-env NAME] [--timeout 4s]
                                     a readiness probe that speaks MCP (initialize, tools/list)
  kaos-stdio-adapter --version

COMMAND is executed directly (never through a shell). Every flag can also be set through
the environment variable named after it (KAOS_ADAPTER_MAX_SESSIONS for --max-sessions);
the port also through PORT. Flags win over the environment. KAOS_ADAPTER_AUTH_TOKEN (no flag):
requests to the MCP path must carry Authorization: Bearer <that token>.

Flags:
`

// parseConfig reads flags (and their KAOS_ADAPTER_* environment equivalents) and the command.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("kaos-stdio-adapter", flag.ContinueOnError)
	// Errors are reported by the caller in one line; only --help prints the full usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	env := func(name, def string) string {
		if v := getenv(envPrefix + name); v != "" {
			return v
		}
		return def
	}
	portDef := env("PORT", getenv("PORT"))
	if portDef == "" {
		portDef = "8000"
	}
	host := fs.String("host", env("HOST", "0.0.0.0"), "address to listen on")
	port := fs.String("port", portDef, "port to listen on (0 picks a free one and logs it)")
	path := fs.String("path", env("PATH", "/mcp"), "the MCP endpoint's path")
	mode := fs.String("mode", env("MODE", modeShared), "shared (one child for all sessions) or per-session (a child per MCP session)")
	idle := fs.String("idle-timeout", env("IDLE_TIMEOUT", "10m"), "end a session after this long without requests or open streams (per-session: its child is killed)")
	maxS := fs.String("max-sessions", env("MAX_SESSIONS", "0"), "most sessions at once; 0 means 1000 in shared mode, 50 in per-session mode")
	initT := fs.String("init-timeout", env("INIT_TIMEOUT", "60s"), "how long a child may take to answer initialize")
	origins := fs.String("allowed-origins", env("ALLOWED_ORIGINS", ""), "comma-separated Origin values browsers may send besides loopback ones; * allows any")
	grace := fs.String("grace", env("GRACE", "5s"), "after SIGTERM, how long a child's process group has before SIGKILL")
	caps := fs.String("client-capabilities", env("CLIENT_CAPABILITIES", "{}"), "shared mode: the client capabilities (JSON) the adapter declares to the child when it initializes it")
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usageText)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%v (kaos-stdio-adapter --help lists the flags)", err)
	}
	if c.showVersion {
		return c, nil
	}
	c.host = *host
	c.path = *path
	c.authToken = strings.TrimSpace(getenv(envPrefix + "AUTH_TOKEN"))
	c.mode = *mode
	c.command = fs.Args()

	var err error
	if c.port, err = strconv.Atoi(*port); err != nil || c.port < 0 || c.port > 65535 {
		return nil, fmt.Errorf("--port must be a number from 0 to 65535, got %q", *port)
	}
	if !strings.HasPrefix(c.path, "/") {
		return nil, fmt.Errorf("--path must start with /, got %q", c.path)
	}
	if c.path == "/healthz" || c.path == "/readyz" {
		return nil, fmt.Errorf("--path %s is taken by the health endpoint; pick another path such as /mcp", c.path)
	}
	if c.mode != modeShared && c.mode != modePerSession {
		return nil, fmt.Errorf("--mode must be %q or %q, got %q", modeShared, modePerSession, c.mode)
	}
	if c.idleTimeout, err = positiveDuration("idle-timeout", *idle); err != nil {
		return nil, err
	}
	if c.initTimeout, err = positiveDuration("init-timeout", *initT); err != nil {
		return nil, err
	}
	if c.grace, err = time.ParseDuration(*grace); err != nil || c.grace < 0 {
		return nil, fmt.Errorf("--grace must be a duration such as 5s, got %q", *grace)
	}
	if c.maxSessions, err = strconv.Atoi(*maxS); err != nil || c.maxSessions < 0 {
		return nil, fmt.Errorf("--max-sessions must be a whole number (0 for the mode's default), got %q", *maxS)
	}
	if c.maxSessions == 0 {
		c.maxSessions = 1000
		if c.mode == modePerSession {
			c.maxSessions = 50
		}
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.allowedOrigins = append(c.allowedOrigins, strings.TrimRight(o, "/"))
		}
	}
	var capsObj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*caps), &capsObj); err != nil || capsObj == nil {
		return nil, fmt.Errorf("--client-capabilities must be a JSON object such as {\"sampling\":{}}, got %q", *caps)
	}
	c.clientCaps = json.RawMessage(*caps)
	if len(c.command) == 0 {
		return nil, errors.New("no command to run: put the stdio MCP server's command after --, e.g. kaos-stdio-adapter -- mcp-server-fetch")
	}
	return c, nil
}

func positiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--%s must be a positive duration such as 30s or 10m, got %q", name, v)
	}
	return d, nil
}

// childEnv is the adapter's environment without the adapter's own settings: the child needs
// its credentials (requiredEnv) but has no business with KAOS_ADAPTER_*.
func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if strings.HasPrefix(kv, envPrefix) {
			continue
		}
		out = append(out, kv)
	}
	return out
}
