package main

// Agent pods: upstream KAOS's agent image (axsauze/kaos-agent:<version>) runs its agent runtime,
// the PyPI package pydantic-ai-server (module pais), as
// `uvicorn pais.server:get_app --factory --host 0.0.0.0 --port 8000`. The runner runs the same
// package, at the versions test/cluster/agent-runtime/requirements.txt pins, from a venv it makes
// once (keyed by that file and the Python version) with a Python >= 3.12 (pais requires it), with
// the env kaos rendered. So an agent pod is Ready only when pais answers its readiness probe, and
// everything the tests see (chat, A2A, /tools) is the real runtime's answer.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// agentImage: upstream's agent image, under any registry and tag.
var agentImage = regexp.MustCompile(`(^|/)kaos-agent([:@]|$)`)

// paisVersion is what requirements.txt pins (the log says so when an image names another tag).
const paisVersion = "0.8.4"

// agentPython finds a Python >= 3.12: $KAOS_TESTBED_AGENT_PYTHON, else python3.1x or python3 on
// PATH, else one pyenv installed; 3.12 first, the version requirements.txt was resolved with.
func agentPython() (string, error) {
	ok := func(p string) bool {
		out, err := exec.Command(p, "-c", "import sys; print(sys.version_info >= (3, 12))").Output()
		return err == nil && strings.TrimSpace(string(out)) == "True"
	}
	if p := os.Getenv("KAOS_TESTBED_AGENT_PYTHON"); p != "" {
		if ok(p) {
			return p, nil
		}
		return "", fmt.Errorf("KAOS_TESTBED_AGENT_PYTHON=%s is not a Python >= 3.12", p)
	}
	var tried []string
	for _, name := range []string{"python3.12", "python3.13", "python3.14", "python3"} {
		if p, err := exec.LookPath(name); err == nil {
			tried = append(tried, p)
			if ok(p) {
				return p, nil
			}
		}
	}
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".pyenv")
	}
	found, _ := filepath.Glob(filepath.Join(root, "versions", "3.*", "bin", "python3"))
	sort.Strings(found)
	for _, p := range found {
		tried = append(tried, p)
		if ok(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("the agent runtime (pydantic-ai-server %s) needs Python >= 3.12, and none was found (tried: %s); install one (e.g. `pyenv install 3.12`) or set KAOS_TESTBED_AGENT_PYTHON", paisVersion, strings.Join(tried, ", "))
}

// agentRuntime installs the pinned agent runtime once and returns its venv's python.
func (d *deps) agentRuntime(log io.Writer) (string, error) {
	req := filepath.Join(d.repoRoot, "test", "cluster", "agent-runtime", "requirements.txt")
	text, err := os.ReadFile(req)
	if err != nil {
		return "", fmt.Errorf("agent runtime requirements: %v", err)
	}
	py, err := agentPython()
	if err != nil {
		return "", err
	}
	ver, err := exec.Command(py, "-c", "import sys; print(sys.version.split()[0])").Output()
	if err != nil {
		return "", fmt.Errorf("%s: %v", py, err)
	}
	h := sha256.New()
	h.Write(text)
	h.Write(ver)
	dir := filepath.Join(d.cacheDir, "venv-agent", hex.EncodeToString(h.Sum(nil))[:16])
	python := filepath.Join(dir, "bin", "python")
	return python, d.once(dir, strings.TrimSpace(string(ver)), func() error {
		t0 := time.Now()
		fmt.Fprintf(log, "kaos pod-runner: installing the agent runtime (pydantic-ai-server %s, Python %s) into %s, once: the image has it built in\n", paisVersion, strings.TrimSpace(string(ver)), dir)
		run := func(name string, args ...string) error {
			cmd := exec.Command(name, args...)
			cmd.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
			cmd.Stdout, cmd.Stderr = log, log
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("installing the agent runtime: %s %s: %v", name, strings.Join(args, " "), err)
			}
			return nil
		}
		if err := run(py, "-m", "venv", dir); err != nil {
			return err
		}
		if err := run(filepath.Join(dir, "bin", "pip"), "install", "--no-input", "-q", "--only-binary=:all:", "-r", req); err != nil {
			return err
		}
		fmt.Fprintf(log, "kaos pod-runner: installed the agent runtime in %s\n", time.Since(t0).Round(100*time.Millisecond))
		return nil
	})
}

// agentCommand: the image's command, uvicorn serving pais's app factory on the container's port
// (rewritten to the local port like any --port); the python is filled in by prepare.
func (r *runner) agentCommand(c corev1.Container, ct *container) []string {
	port := int32(8000)
	if len(c.Ports) > 0 {
		port = c.Ports[0].ContainerPort
	}
	// 127.0.0.1 rather than the image's 0.0.0.0: the process runs on this machine.
	argv := []string{"python", "-m", "uvicorn", "pais.server:get_app", "--factory", "--host", "127.0.0.1", "--port", strconv.Itoa(int(port))}
	ct.prepare = func(log io.Writer) error {
		if tag := imageTag(c.Image); tag != "" && strings.TrimPrefix(tag, "v") != paisVersion {
			fmt.Fprintf(log, "kaos pod-runner: image %s: the test bed runs pydantic-ai-server %s (the version it pins), not the image's own build\n", c.Image, paisVersion)
		}
		py, err := r.deps.agentRuntime(log)
		if err != nil {
			return err
		}
		ct.argv[0] = py
		return nil
	}
	return argv
}

// imageTag is the tag of an image reference ("" without one).
func imageTag(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[colon+1:]
	}
	return ""
}
