package main

// kaos's stdio runtimes and gateway. A stdio runtime's image (<registry>/kaos-mcp-<name>) is the
// stdio adapter in front of an npm or PyPI package installed at build time; its pod template
// names the package (annotation kaos.tools/package: npx://PKG@VERSION or uvx://PKG@VERSION, and
// kaos.tools/package-bin when the package has several executables). The runner stands in for
// the image with the same parts: the adapter built from runtimes/stdio-adapter with this
// machine's Go, and the package installed at that exact version, each once into the runner's
// cache; then it runs `<adapter> -- <package executable> <container args>`, as the image's
// entrypoint does.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	annPackage    = "kaos.tools/package"
	annPackageBin = "kaos.tools/package-bin"
)

var (
	stdioImage   = regexp.MustCompile(`/kaos-mcp-[^/:@]+([:@]|$)`)
	gatewayImage = regexp.MustCompile(`/kaos-gateway([:@]|$)`)
	packageRef   = regexp.MustCompile(`^(npx|uvx)://(.+)@([^@]+)$`)
	// exact versions only, as kaos's renderer requires (no ranges, no tags)
	exactVersion = regexp.MustCompile(`^\d+(\.\d+)*([-+][0-9A-Za-z.+-]+)?$`)
	safeBin      = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)
)

type packageSource struct{ tool, pkg, version string }

func (s packageSource) String() string { return s.tool + "://" + s.pkg + "@" + s.version }

func parsePackage(src string) (packageSource, error) {
	m := packageRef.FindStringSubmatch(src)
	if m == nil {
		return packageSource{}, fmt.Errorf("annotation %s %q must be npx://PACKAGE@VERSION or uvx://PACKAGE@VERSION", annPackage, src)
	}
	if !exactVersion.MatchString(m[3]) {
		return packageSource{}, fmt.Errorf("annotation %s %q: %q is not an exact version", annPackage, src, m[3])
	}
	return packageSource{m[1], m[2], m[3]}, nil
}

// deps installs and builds what the stand-ins need, once, into the runner's cache. Runners of
// other test beds share the cache: a file lock keeps them from installing the same thing at once.
type deps struct {
	cacheDir, repoRoot string
	mu                 sync.Mutex
	locks              map[string]*sync.Mutex
}

func newDeps(cacheDir, repoRoot string) *deps {
	return &deps{cacheDir: cacheDir, repoRoot: repoRoot, locks: map[string]*sync.Mutex{}}
}

// lock holds dir for this process and, through dir.lock, for other processes.
func (d *deps) lock(dir string) (func(), error) {
	d.mu.Lock()
	m, ok := d.locks[dir]
	if !ok {
		m = &sync.Mutex{}
		d.locks[dir] = m
	}
	d.mu.Unlock()
	m.Lock()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		m.Unlock()
		return nil, err
	}
	f, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		m.Unlock()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		m.Unlock()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close(); m.Unlock() }, nil
}

// once makes dir with fill the first time anyone asks, runner or runner-deps alike (held by lock),
// and marks it complete with stamp; a dir without the mark is half made and made again.
func (d *deps) once(dir, stamp string, fill func() error) error {
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	unlock, err := d.lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	_ = os.RemoveAll(dir)
	if err := fill(); err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	return os.WriteFile(done, []byte(stamp+"\n"), 0o644)
}

// adapter is the stdio adapter built from the repo's sources (rebuilt when they change).
func (d *deps) adapter(log io.Writer) (string, error) {
	src := filepath.Join(d.repoRoot, "runtimes", "stdio-adapter")
	key, err := adapterKey(src)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(d.cacheDir, "stdio-adapter", key)
	bin := filepath.Join(dir, "kaos-stdio-adapter")
	return bin, d.once(dir, key, func() error {
		fmt.Fprintf(log, "kaos pod-runner: building the stdio adapter from %s (once per source change)\n", src)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the stdio adapter (go build in %s): %v", src, err)
		}
		return nil
	})
}

// adapterKey hashes what the adapter's image is built from (Dockerfile's COPY: go.mod, VERSION,
// *.go) and the Go version.
func adapterKey(src string) (string, error) {
	files, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no stdio adapter sources in %s", src)
	}
	files = append(files, filepath.Join(src, "go.mod"), filepath.Join(src, "VERSION"))
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go (to build the stdio adapter) is not usable: %v", err)
	}
	h.Write(out)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// pkg installs the package (npm into its own prefix, PyPI into its own venv) and returns the
// path of its executable: bin, else the package's only one (npm) or its name (PyPI), as the
// image templates pick it.
func (d *deps) pkg(src packageSource, bin string, log io.Writer) (string, error) {
	if bin != "" && !safeBin.MatchString(bin) {
		return "", fmt.Errorf("annotation %s %q is not an executable name", annPackageBin, bin)
	}
	dir := filepath.Join(d.cacheDir, "stdio-packages", src.tool, strings.ReplaceAll(src.pkg, "/", "+")+"@"+src.version)
	if err := d.once(dir, src.String(), func() error { return install(src, dir, log) }); err != nil {
		return "", err
	}
	return pkgBin(src, dir, bin)
}

func install(src packageSource, dir string, log io.Writer) error {
	t0 := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(log, "kaos pod-runner: installing %s into %s (the image has it built in; the test bed installs it once)\n", src, dir)
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NPM_CONFIG_UPDATE_NOTIFIER=false", "PIP_DISABLE_PIP_VERSION_CHECK=1")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("installing %s: %s %s: %v", src, name, strings.Join(args, " "), err)
		}
		return nil
	}
	switch src.tool {
	case "npx":
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"kaos-testbed-stdio-package","private":true}`+"\n"), 0o644); err != nil {
			return err
		}
		if err := run("npm", "install", "--prefix", dir, "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact", src.pkg+"@"+src.version); err != nil {
			return err
		}
	case "uvx":
		// a venv records its own path: it is made where it stays
		if err := run("python3", "-m", "venv", dir); err != nil {
			return err
		}
		if err := run(filepath.Join(dir, "bin", "pip"), "install", "--no-input", "-q", src.pkg+"=="+src.version); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "kaos pod-runner: installed %s in %s\n", src, time.Since(t0).Round(100*time.Millisecond))
	return nil
}

func pkgBin(src packageSource, dir, bin string) (string, error) {
	if src.tool == "uvx" {
		name := bin
		if name == "" {
			name = src.pkg
		}
		p := filepath.Join(dir, "bin", name)
		if _, err := os.Stat(p); err != nil {
			entries, _ := os.ReadDir(filepath.Join(dir, "bin"))
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			return "", fmt.Errorf("%s installs no console script %q; name one with annotation %s (found: %s)", src, name, annPackageBin, strings.Join(names, " "))
		}
		return p, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, "node_modules", src.pkg, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%s: %v", src, err)
	}
	var pj struct {
		Name string          `json:"name"`
		Bin  json.RawMessage `json:"bin"`
	}
	if err := json.Unmarshal(raw, &pj); err != nil {
		return "", fmt.Errorf("%s: package.json: %v", src, err)
	}
	bins := map[string]string{}
	var one string
	if json.Unmarshal(pj.Bin, &one) == nil && one != "" {
		name := pj.Name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		bins[name] = one
	} else {
		_ = json.Unmarshal(pj.Bin, &bins)
	}
	names := make([]string, 0, len(bins))
	for n := range bins {
		names = append(names, n)
	}
	sort.Strings(names)
	name := bin
	if name == "" && len(names) == 1 {
		name = names[0]
	}
	if _, ok := bins[name]; !ok || name == "" {
		return "", fmt.Errorf("%s has the executables [%s]; name one with annotation %s", src, strings.Join(names, ", "), annPackageBin)
	}
	return filepath.Join(dir, "node_modules", ".bin", name), nil
}

// installMain is `pod-runner install …`, for test/cluster/runner-deps: the same installs the
// runner does on first use, ahead of time.
func installMain(args []string) int {
	fs := flag.NewFlagSet("pod-runner install", flag.ContinueOnError)
	cacheDir := fs.String("cache-dir", "", "runner dependency cache")
	repoRoot := fs.String("repo-root", "", "kaos repository root (for the stdio adapter's sources)")
	bin := fs.String("bin", "", "the package's executable, when it has several")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cacheDir == "" || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pod-runner install --cache-dir DIR [--repo-root DIR] [--bin NAME] stdio-adapter|agent-runtime|npx://PKG@VERSION|uvx://PKG@VERSION ...")
		return 2
	}
	d := newDeps(*cacheDir, *repoRoot)
	for _, what := range fs.Args() {
		var p string
		var err error
		if what == "stdio-adapter" || what == "agent-runtime" {
			switch {
			case *repoRoot == "":
				err = fmt.Errorf("--repo-root is required for %s", what)
			case what == "agent-runtime":
				p, err = d.agentRuntime(os.Stderr)
			default:
				p, err = d.adapter(os.Stderr)
			}
		} else {
			var src packageSource
			if src, err = parsePackage(what); err == nil {
				p, err = d.pkg(src, *bin, os.Stderr)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pod-runner install:", err)
			return 1
		}
		fmt.Println(p)
	}
	return 0
}
