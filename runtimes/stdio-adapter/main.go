// Command kaos-stdio-adapter serves MCP streamable HTTP (spec 2025-11-25) for an MCP server
// that speaks stdio, with one child shared by all sessions or one child per session.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed VERSION
var versionFile string

var version = strings.TrimSpace(versionFile)

func logf(format string, args ...any) {
	line := fmt.Sprintf("kaos-stdio-adapter: "+format+"\n", args...)
	stderrMu.Lock()
	io.WriteString(os.Stderr, line)
	stderrMu.Unlock()
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "install" {
		return install(args[1:])
	}
	if len(args) > 0 && args[0] == "probe" {
		return probeMain(args[1:], os.Stdout)
	}
	// Set but empty (an empty Secret key): serving unchecked would be the opposite of what was asked.
	if v, ok := os.LookupEnv(envPrefix + "AUTH_TOKEN"); ok && strings.TrimSpace(v) == "" {
		fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: %sAUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it\n", envPrefix)
		return 2
	}
	cfg, err := parseConfig(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: %v\n", err)
		return 2
	}
	if cfg.showVersion {
		fmt.Println("kaos-stdio-adapter " + version)
		return 0
	}
	return serve(cfg)
}

// install copies this executable into DIR, so that an init container can hand the adapter to
// an unchanged server image through a shared emptyDir (the image needs no cp, no shell).
func install(args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "kaos-stdio-adapter: usage: kaos-stdio-adapter install DIR (copies the adapter into DIR)")
		return 2
	}
	dir := args[0]
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: cannot find my own executable: %v\n", err)
		return 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: cannot create %s: %v\n", dir, err)
		return 1
	}
	dst := filepath.Join(dir, "kaos-stdio-adapter")
	if err := copyExecutable(self, dst); err != nil {
		fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: cannot install into %s: %v\n", dir, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "kaos-stdio-adapter: installed %s\n", dst)
	return 0
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".kaos-stdio-adapter-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Rename so a reader never sees a half-written binary.
	return os.Rename(tmp.Name(), dst)
}

func serve(cfg *config) int {
	startReaper()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	srv := newServer(cfg, childEnv(os.Environ()))
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)))
	if err != nil {
		logf("cannot listen on %s: %v (is the port taken? pick another with --port)", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)), err)
		return 1
	}
	hs := &http.Server{Handler: srv.routes(), ReadHeaderTimeout: 10 * time.Second}
	// Health answers (503) while the child starts, so probes see the truth from the first second.
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("http server: %v", err)
		}
	}()
	logf("serving http://%s%s (mode %s) for %s", ln.Addr(), cfg.path, cfg.mode, filepath.Base(cfg.command[0]))

	started := make(chan error, 1)
	go func() { started <- srv.start() }()
	select {
	case err := <-started:
		if err != nil {
			logf("%v", err)
			shutdown(srv, hs)
			return 1
		}
		logf("ready: the MCP server answered initialize and tools/list")
	case sig := <-sigs:
		logf("%v during startup; stopping", sig)
		srv.stopping.Store(true)
		shutdown(srv, hs)
		return 0
	}

	stopIdle := make(chan struct{})
	go srv.reapIdle(stopIdle)
	code := 0
	select {
	case sig := <-sigs:
		logf("%v: ending every session and child, then exiting", sig)
	case why := <-srv.fatal:
		logf("%s; exiting so the pod is restarted", why)
		code = 1
	}
	close(stopIdle)
	shutdown(srv, hs)
	return code
}

func shutdown(srv *server, hs *http.Server) {
	srv.stopping.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = hs.Shutdown(ctx) // stops accepting; waits for handlers, which end with their sessions
	}()
	srv.endAll()
	stopAllChildren(srv.cfg.grace)
	wg.Wait()
	killAllDescendants()
}
