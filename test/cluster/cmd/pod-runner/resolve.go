package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

type envKV struct{ name, value string }

// resolveEnv resolves envFrom and env (valueFrom, $(VAR) expansion) like a kubelet.
func (r *runner) resolveEnv(ctx context.Context, p *corev1.Pod, c corev1.Container) ([]envKV, error) {
	var out []envKV
	idx := map[string]int{}
	set := func(n, v string) {
		if i, ok := idx[n]; ok {
			out[i].value = v
			return
		}
		idx[n] = len(out)
		out = append(out, envKV{n, v})
	}
	get := func(n string) (string, bool) {
		if i, ok := idx[n]; ok {
			return out[i].value, true
		}
		return "", false
	}
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := r.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return nil, fmt.Errorf("envFrom configmap %s: %w", ef.ConfigMapRef.Name, err)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, err := r.cs.CoreV1().Secrets(p.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return nil, fmt.Errorf("envFrom secret %s: %w", ef.SecretRef.Name, err)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(ef.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandK8s(e.Value, get))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			s, err := r.cs.CoreV1().Secrets(p.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: secret %s: %w", e.Name, ref.Name, err)
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: secret %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			set(e.Name, string(v))
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			cm, err := r.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: configmap %s: %w", e.Name, ref.Name, err)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if ref.Optional != nil && *ref.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: configmap %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			set(e.Name, v)
		case vf.FieldRef != nil:
			set(e.Name, fieldRef(p, vf.FieldRef.FieldPath))
		case vf.ResourceFieldRef != nil:
			set(e.Name, "1")
		}
	}
	return out, nil
}

var annotationRef = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.*)'\]$`)

func fieldRef(p *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return p.Name
	case "metadata.namespace":
		return p.Namespace
	case "metadata.uid":
		return string(p.UID)
	case "spec.nodeName":
		return p.Spec.NodeName
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName
	case "status.podIP", "status.hostIP", "status.podIPs", "status.hostIPs":
		return "127.0.0.1"
	}
	if m := annotationRef.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return p.Labels[m[2]]
		}
		return p.Annotations[m[2]]
	}
	return ""
}

// expandK8s expands $(VAR) like Kubernetes does for command, args and env
// ($$ escapes; unknown references stay as written).
func expandK8s(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// materializeVolumes writes the container's ConfigMap/Secret/projected
// volumes into dir and returns mountPath -> local path.
func (r *runner) materializeVolumes(ctx context.Context, p *corev1.Pod, c corev1.Container, dir string) (map[string]string, error) {
	mounts := map[string]string{}
	vols := map[string]corev1.Volume{}
	for _, v := range p.Spec.Volumes {
		vols[v.Name] = v
	}
	done := map[string]bool{}
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			continue
		}
		local := filepath.Join(dir, v.Name)
		if !done[v.Name] {
			done[v.Name] = true
			if err := os.MkdirAll(local, 0o755); err != nil {
				return nil, err
			}
			if err := r.writeVolume(ctx, p, v, local); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		}
		if m.SubPath != "" {
			local = filepath.Join(local, m.SubPath)
		}
		mounts[filepath.Clean(m.MountPath)] = local
	}
	return mounts, nil
}

func (r *runner) writeVolume(ctx context.Context, p *corev1.Pod, v corev1.Volume, dir string) error {
	writeItems := func(data map[string][]byte, items []corev1.KeyToPath) error {
		if len(items) == 0 {
			for k, b := range data {
				if err := os.WriteFile(filepath.Join(dir, k), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		}
		for _, it := range items {
			b, ok := data[it.Key]
			if !ok {
				continue
			}
			f := filepath.Join(dir, it.Path)
			_ = os.MkdirAll(filepath.Dir(f), 0o755)
			if err := os.WriteFile(f, b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	cmData := func(name string, optional *bool) (map[string][]byte, error) {
		cm, err := r.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional != nil && *optional {
				return nil, nil
			}
			return nil, err
		}
		d := map[string][]byte{}
		for k, s := range cm.Data {
			d[k] = []byte(s)
		}
		for k, b := range cm.BinaryData {
			d[k] = b
		}
		return d, nil
	}
	secData := func(name string, optional *bool) (map[string][]byte, error) {
		s, err := r.cs.CoreV1().Secrets(p.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional != nil && *optional {
				return nil, nil
			}
			return nil, err
		}
		return s.Data, nil
	}
	switch {
	case v.ConfigMap != nil:
		d, err := cmData(v.ConfigMap.Name, v.ConfigMap.Optional)
		if err != nil {
			return err
		}
		return writeItems(d, v.ConfigMap.Items)
	case v.Secret != nil:
		d, err := secData(v.Secret.SecretName, v.Secret.Optional)
		if err != nil {
			return err
		}
		return writeItems(d, v.Secret.Items)
	case v.Projected != nil:
		for _, s := range v.Projected.Sources {
			switch {
			case s.ConfigMap != nil:
				d, err := cmData(s.ConfigMap.Name, s.ConfigMap.Optional)
				if err != nil {
					return err
				}
				if err := writeItems(d, s.ConfigMap.Items); err != nil {
					return err
				}
			case s.Secret != nil:
				d, err := secData(s.Secret.Name, s.Secret.Optional)
				if err != nil {
					return err
				}
				if err := writeItems(d, s.Secret.Items); err != nil {
					return err
				}
			case s.ServiceAccountToken != nil:
				kc, err := r.serviceAccountKubeconfig(ctx, p, filepath.Join(dir, ".sa"))
				if err == nil {
					_ = os.WriteFile(filepath.Join(dir, "kubeconfig"), mustRead(kc), 0o600)
				}
				if ca, err := os.ReadFile(r.cfg.caFile); err == nil {
					_ = os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644)
				}
				_ = os.WriteFile(filepath.Join(dir, "namespace"), []byte(p.Namespace), 0o644)
			}
		}
	}
	return nil // emptyDir and others: an empty directory
}

func mustRead(f string) []byte { b, _ := os.ReadFile(f); return b }

// rewriter maps container paths and ports to their local equivalents.
type rewriter struct {
	mounts []string // longest first
	local  map[string]string
	ports  map[int32]int32
}

func newRewriter(mounts map[string]string, ports map[int32]int32) *rewriter {
	rw := &rewriter{local: mounts, ports: ports}
	for m := range mounts {
		rw.mounts = append(rw.mounts, m)
	}
	sort.Slice(rw.mounts, func(i, j int) bool { return len(rw.mounts[i]) > len(rw.mounts[j]) })
	return rw
}

func isSep(b byte) bool { return strings.IndexByte("=:,;'\" ", b) >= 0 }

// path replaces mount paths appearing in s (as whole path prefixes).
func (rw *rewriter) path(s string) string {
	for _, m := range rw.mounts {
		if m == "/" {
			continue
		}
		var b strings.Builder
		rest := s
		for {
			i := strings.Index(rest, m)
			if i < 0 {
				b.WriteString(rest)
				break
			}
			end := i + len(m)
			okBefore := i == 0 || isSep(rest[i-1])
			okAfter := end == len(rest) || rest[end] == '/' || isSep(rest[end])
			b.WriteString(rest[:i])
			if okBefore && okAfter {
				b.WriteString(rw.local[m])
			} else {
				b.WriteString(m)
			}
			rest = rest[end:]
		}
		s = b.String()
	}
	return s
}

func (rw *rewriter) port(s string) (string, bool) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return s, false
	}
	if lp, ok := rw.ports[int32(n)]; ok {
		return strconv.Itoa(int(lp)), true
	}
	return s, false
}

var (
	kmsImage   = regexp.MustCompile(`kubernetes[-_]mcp[-_]server`)
	slackImage = regexp.MustCompile(`slack[-_]mcp[-_]server`)
)

var hostPort = regexp.MustCompile(`^((?:0\.0\.0\.0|127\.0\.0\.1|localhost|\[::\])?:)(\d+)$`)

// value rewrites an env value: *PORT variables holding a container port, and paths.
func (rw *rewriter) value(name, v string) string {
	if strings.HasSuffix(strings.ToUpper(name), "PORT") {
		if nv, ok := rw.port(v); ok {
			return nv
		}
	}
	if m := hostPort.FindStringSubmatch(v); m != nil {
		if nv, ok := rw.port(m[2]); ok {
			return m[1] + nv
		}
	}
	return rw.path(v)
}

var portFlags = map[string]bool{"--port": true, "-p": true, "--listen-port": true, "--server-port": true, "--http-port": true}

// args rewrites port flags (--port N, --port=N, host:N) to the local ports.
func (rw *rewriter) args(argv []string) []string {
	out := append([]string(nil), argv...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if portFlags[a] && i+1 < len(out) {
			if nv, ok := rw.port(out[i+1]); ok {
				out[i+1] = nv
			}
			i++
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok && portFlags[k] {
			if nv, ok := rw.port(v); ok {
				out[i] = k + "=" + nv
			}
			continue
		}
		if m := hostPort.FindStringSubmatch(a); m != nil {
			if nv, ok := rw.port(m[2]); ok {
				out[i] = m[1] + nv
			}
		}
	}
	return out
}

func hasFlag(argv []string, names ...string) bool {
	for _, a := range argv {
		for _, n := range names {
			if a == n || strings.HasPrefix(a, n+"=") {
				return true
			}
		}
	}
	return false
}

// imageCommand maps a known image to the local process that stands in for it.
func (r *runner) imageCommand(p *corev1.Pod, c corev1.Container, ct *container) ([]string, string, error) {
	img := c.Image
	npmBin := func(name string) string { return filepath.Join(r.cfg.cacheDir, "npm", "node_modules", ".bin", name) }
	need := func(f, what string) error {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s not installed (%s missing): run test/cluster/runner-deps", what, f)
		}
		return nil
	}
	// args after the image's own entrypoint: container args, or command[1:]
	// when the command names the same program.
	tail := func(prog string) []string {
		if len(c.Command) > 0 && strings.Contains(c.Command[0], prog) {
			return append(append([]string(nil), c.Command[1:]...), c.Args...)
		}
		return append([]string(nil), c.Args...)
	}
	switch {
	case strings.Contains(img, "kaos-rawpython"):
		server := filepath.Join(r.cfg.repoRoot, "runtimes", "rawpython", "server.py")
		if err := need(server, "rawpython runtime"); err != nil {
			return nil, "", err
		}
		py := filepath.Join(r.cfg.cacheDir, "venv-rawpython", "bin", "python3")
		if _, err := os.Stat(py); err != nil {
			py = "python3"
		}
		return append([]string{py, server}, c.Args...), "rawpython", nil
	case kmsImage.MatchString(img):
		bin := npmBin("kubernetes-mcp-server")
		if err := need(bin, "kubernetes-mcp-server"); err != nil {
			return nil, "", err
		}
		return append([]string{bin}, tail("kubernetes")...), "kubernetes-mcp-server", nil
	case slackImage.MatchString(img):
		bin := npmBin("slack-mcp")
		if err := need(bin, "slack-mcp-server"); err != nil {
			return nil, "", err
		}
		return append([]string{bin}, tail("slack")...), "slack-mcp-server", nil
	case stdioImage.MatchString(img):
		raw, ok := p.Annotations[annPackage]
		if !ok {
			return nil, "", fmt.Errorf("image %q is a kaos stdio runtime, but the pod has no %s annotation naming its package (npx://PKG@VERSION or uvx://PKG@VERSION), so the test bed cannot stand in for it", img, annPackage)
		}
		src, err := parsePackage(raw)
		if err != nil {
			return nil, "", err
		}
		bin := p.Annotations[annPackageBin]
		// <adapter> -- <package executable> ARGS, as the image's entrypoint; both are filled in
		// by prepare, which installs them on first use.
		argv := append([]string{"kaos-stdio-adapter", "--", src.pkg}, c.Args...)
		ct.prepare = func(log io.Writer) error {
			adapter, err := r.deps.adapter(log)
			if err != nil {
				return err
			}
			exe, err := r.deps.pkg(src, bin, log)
			if err != nil {
				return err
			}
			ct.argv[0], ct.argv[2] = adapter, exe
			return nil
		}
		return argv, "stdio", nil
	case gatewayImage.MatchString(img):
		gw := filepath.Join(r.cfg.repoRoot, "dist", "gateway", "gateway.mjs")
		if _, err := os.Stat(gw); err != nil {
			return nil, "", fmt.Errorf("the kaos gateway is not built (%s missing): the test bed runs it from the repo's dist/", gw)
		}
		return append([]string{"node", gw}, c.Args...), "gateway", nil
	case agentImage.MatchString(img):
		return r.agentCommand(c, ct), "agent", nil
	case strings.Contains(img, "litellm"):
		bin := filepath.Join(r.cfg.cacheDir, "venv-litellm", "bin", "litellm")
		if err := need(bin, "litellm"); err != nil {
			return nil, "", err
		}
		return append([]string{bin}, tail("litellm")...), "litellm", nil
	}
	return nil, "", fmt.Errorf("no local process known for image %q", img)
}

// postProcess adds what a local stand-in needs that the image would not.
func (r *runner) postProcess(kind string, argv []string, c *container, port int32, p *corev1.Pod) []string {
	ps := strconv.Itoa(int(port))
	switch kind {
	case "kubernetes-mcp-server":
		if !hasFlag(argv, "--port") {
			argv = append(argv, "--port", ps)
		}
		if !hasFlag(argv, "--kubeconfig") {
			kc, err := r.serviceAccountKubeconfig(context.Background(), p, filepath.Join(filepath.Dir(c.logFile), "sa"))
			if err != nil {
				kc = r.cfg.childKubeconfig
			}
			argv = append(argv, "--kubeconfig", kc)
		}
	case "slack-mcp-server":
		if !hasFlag(argv, "--transport") {
			argv = append(argv, "--transport", "http")
		}
		if !hasFlag(argv, "--port") {
			argv = append(argv, "--port", ps)
		}
	case "litellm":
		if !hasFlag(argv, "--port") {
			argv = append(argv, "--port", ps)
		}
		if !hasFlag(argv, "--host") {
			argv = append(argv, "--host", "127.0.0.1")
		}
	}
	return argv
}
