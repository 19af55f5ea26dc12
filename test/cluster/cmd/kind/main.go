// Command kind is the test bed's stand-in for the kind CLI, for the parts kaos uses: `get
// clusters`, `get nodes`, `load image-archive` and `load docker-image`. The test bed's kwok nodes
// claim to be a kind cluster's (spec.providerID kind://docker/<cluster>/<node>); "loading" an
// image records its names in the nodes' status.images, the way kubelet reports what containerd
// holds after a real `kind load`. The pod runner only runs a local-only image a node lists, so a
// missing load shows up as ErrImagePull, as on kind. Anything else exits 2 with a message that
// says so. See test/cluster/README.md.
//
// Its state is the test bed's: $KAOS_TESTBED_DIR/kubeconfig (test/cluster/bin/kind sets it).
package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"kaos.tools/testbed/internal/imageref"
)

const providerPrefix = "kind://docker/"

// exitError carries the exit code with the message kind would print.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func unsupported(args []string) error {
	return &exitError{2, fmt.Sprintf("kind %s: not supported by the test bed's kind stand-in (it does: get clusters, get nodes, load docker-image, load image-archive, version); see test/cluster/README.md", strings.Join(args, " "))}
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code == 2 {
			fmt.Fprintln(os.Stderr, ee.msg)
		} else {
			fmt.Fprintln(os.Stderr, "ERROR: "+ee.msg)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "ERROR: "+err.Error())
	os.Exit(1)
}

type flags struct {
	name  string
	nodes []string
	args  []string
}

// parse takes kind's flags wherever they appear (cobra allows that).
func parse(in []string) (*flags, error) {
	f := &flags{name: os.Getenv("KIND_CLUSTER_NAME")}
	if f.name == "" {
		f.name = "kind"
	}
	for i := 0; i < len(in); i++ {
		a := in[i]
		val := func() (string, error) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "-") {
				return v, nil
			}
			if i+1 >= len(in) {
				return "", &exitError{1, fmt.Sprintf("flag needs an argument: %s", a)}
			}
			i++
			return in[i], nil
		}
		switch {
		case a == "--name" || a == "-n" || strings.HasPrefix(a, "--name="):
			v, err := val()
			if err != nil {
				return nil, err
			}
			f.name = v
		case a == "--nodes" || strings.HasPrefix(a, "--nodes="):
			v, err := val()
			if err != nil {
				return nil, err
			}
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); n != "" {
					f.nodes = append(f.nodes, n)
				}
			}
		case a == "-q" || a == "--quiet":
		case a == "-v" || a == "--verbosity" || strings.HasPrefix(a, "--verbosity="):
			if _, err := val(); err != nil {
				return nil, err
			}
		case a == "--":
			f.args = append(f.args, in[i+1:]...)
			return f, nil
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, &exitError{2, fmt.Sprintf("kind: flag %s is not supported by the test bed's kind stand-in (it knows --name, --nodes, -q, -v)", a)}
		default:
			f.args = append(f.args, a)
		}
	}
	return f, nil
}

func run(argv []string, stdout, stderr io.Writer) error {
	f, err := parse(argv)
	if err != nil {
		return err
	}
	a := f.args
	switch {
	case len(a) == 1 && a[0] == "version":
		fmt.Fprintf(stdout, "kind (kaos test bed stand-in) %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case len(a) == 2 && a[0] == "get" && a[1] == "clusters":
		return getClusters(stdout, stderr)
	case len(a) == 2 && a[0] == "get" && a[1] == "nodes":
		return getNodes(f, stdout, stderr)
	case len(a) >= 2 && a[0] == "load" && a[1] == "image-archive":
		if len(a) != 3 {
			return &exitError{1, "name of image archive is required"}
		}
		return loadArchive(f, a[2], stderr)
	case len(a) >= 2 && a[0] == "load" && a[1] == "docker-image":
		if len(a) < 3 {
			return &exitError{1, "name of image is required"}
		}
		return loadDockerImages(f, a[2:], stderr)
	}
	return unsupported(argv)
}

// ---------------------------------------------------------------------------------------------
// the test bed's nodes

func client() (kubernetes.Interface, error) {
	dir := os.Getenv("KAOS_TESTBED_DIR")
	if dir == "" {
		return nil, &exitError{1, "KAOS_TESTBED_DIR is not set (run the stand-in through test/cluster/bin/kind)"}
	}
	kc := filepath.Join(dir, "kubeconfig")
	if _, err := os.Stat(kc); err != nil {
		return nil, errNoBed
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return nil, err
	}
	rc.Timeout = 15 * time.Second
	return kubernetes.NewForConfig(rc)
}

var errNoBed = errors.New("no test bed")

// clusterNodes lists the test bed's nodes by the kind cluster their providerID names.
func clusterNodes(ctx context.Context, cs kubernetes.Interface) (map[string][]string, error) {
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, n := range list.Items {
		rest, ok := strings.CutPrefix(n.Spec.ProviderID, providerPrefix)
		if !ok {
			continue
		}
		if cluster, _, ok := strings.Cut(rest, "/"); ok {
			out[cluster] = append(out[cluster], n.Name)
		}
	}
	return out, nil
}

func getClusters(stdout, stderr io.Writer) error {
	cs, err := client()
	if errors.Is(err, errNoBed) {
		fmt.Fprintln(stderr, "No kind clusters found.")
		return nil
	}
	if err != nil {
		return err
	}
	nodes, err := clusterNodes(context.Background(), cs)
	if err != nil {
		return &exitError{1, fmt.Sprintf("failed to list clusters: %v", err)}
	}
	if len(nodes) == 0 {
		fmt.Fprintln(stderr, "No kind clusters found.")
		return nil
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

func getNodes(f *flags, stdout, stderr io.Writer) error {
	cs, err := client()
	if errors.Is(err, errNoBed) {
		fmt.Fprintf(stderr, "No kind nodes found for cluster %q.\n", f.name)
		return nil
	}
	if err != nil {
		return err
	}
	nodes, err := clusterNodes(context.Background(), cs)
	if err != nil {
		return &exitError{1, fmt.Sprintf("failed to list nodes: %v", err)}
	}
	if len(nodes[f.name]) == 0 {
		fmt.Fprintf(stderr, "No kind nodes found for cluster %q.\n", f.name)
		return nil
	}
	for _, n := range nodes[f.name] {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// targetNodes: the cluster's nodes, or those --nodes names; kind's errors otherwise.
func targetNodes(ctx context.Context, f *flags) (kubernetes.Interface, []string, error) {
	cs, err := client()
	if errors.Is(err, errNoBed) {
		return nil, nil, &exitError{1, fmt.Sprintf("no nodes found for cluster %q", f.name)}
	}
	if err != nil {
		return nil, nil, err
	}
	all, err := clusterNodes(ctx, cs)
	if err != nil {
		return nil, nil, &exitError{1, fmt.Sprintf("failed to list nodes: %v", err)}
	}
	nodes := all[f.name]
	if len(nodes) == 0 {
		return nil, nil, &exitError{1, fmt.Sprintf("no nodes found for cluster %q", f.name)}
	}
	if len(f.nodes) == 0 {
		return cs, nodes, nil
	}
	for _, want := range f.nodes {
		found := false
		for _, n := range nodes {
			found = found || n == want
		}
		if !found {
			return nil, nil, &exitError{1, fmt.Sprintf("unknown node: %q", want)}
		}
	}
	return cs, f.nodes, nil
}

// image is what a load adds to a node: its names as kubelet reports them, and its size.
type image struct {
	tags   []string // normalized repo:tag
	id     string   // sha256:…, when known
	size   int64
	source string // for messages
}

// names as kubelet lists an image that containerd imported (kind imports with digest refs):
// each repo:tag, and repo@<digest>. The config digest stands in for the manifest digest
// containerd would compute; nothing compares it to a registry.
func (im image) names() []string {
	out := append([]string(nil), im.tags...)
	if im.id != "" {
		seen := map[string]bool{}
		for _, t := range im.tags {
			repo := imageref.Repo(t)
			if !seen[repo] {
				seen[repo] = true
				out = append(out, repo+"@"+im.id)
			}
		}
	}
	return out
}

// record puts the images into each node's status.images, moving a tag that another image held
// (as re-tagging does in containerd).
func record(ctx context.Context, cs kubernetes.Interface, nodes []string, images []image) error {
	for _, node := range nodes {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Status.Images = merge(n.Status.Images, images)
			_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{FieldManager: "kaos-testbed-kind"})
			return err
		})
		if err != nil {
			return fmt.Errorf("recording the image on node %s: %v", node, err)
		}
	}
	return nil
}

func merge(have []corev1.ContainerImage, images []image) []corev1.ContainerImage {
	taken := map[string]bool{}
	for _, im := range images {
		for _, n := range im.names() {
			taken[n] = true
		}
	}
	var out []corev1.ContainerImage
	for _, im := range images {
		out = append(out, corev1.ContainerImage{Names: im.names(), SizeBytes: im.size})
	}
	for _, h := range have {
		var keep []string
		for _, n := range h.Names {
			if !taken[n] {
				keep = append(keep, n)
			}
		}
		if len(keep) > 0 {
			out = append(out, corev1.ContainerImage{Names: keep, SizeBytes: h.SizeBytes})
		}
	}
	// kubelet lists the largest first
	sort.SliceStable(out, func(i, j int) bool { return out[i].SizeBytes > out[j].SizeBytes })
	return out
}

// ---------------------------------------------------------------------------------------------
// load image-archive

func loadArchive(f *flags, file string, stderr io.Writer) error {
	ctx := context.Background()
	im, err := readArchive(file)
	if err != nil {
		return err
	}
	cs, nodes, err := targetNodes(ctx, f)
	if err != nil {
		return err
	}
	return record(ctx, cs, nodes, []image{im})
}

// readArchive reads the image names from a docker-archive (manifest.json RepoTags) or an OCI
// archive (index.json ref annotations), as containerd's import does.
func readArchive(file string) (image, error) {
	fh, err := os.Open(file)
	if err != nil {
		return image{}, &exitError{1, fmt.Sprintf("failed to open image archive: %v", err)}
	}
	defer fh.Close()
	st, _ := fh.Stat()
	im := image{source: file, size: st.Size()}
	var manifest, index []byte
	tr := tar.NewReader(fh)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return image{}, &exitError{1, fmt.Sprintf("%s is not an image archive (tar): %v", file, err)}
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "manifest.json":
			manifest, _ = io.ReadAll(io.LimitReader(tr, 16<<20))
		case "index.json":
			index, _ = io.ReadAll(io.LimitReader(tr, 16<<20))
		}
	}
	switch {
	case manifest != nil:
		var m []struct {
			Config   string
			RepoTags []string
		}
		if err := json.Unmarshal(manifest, &m); err != nil {
			return image{}, &exitError{1, fmt.Sprintf("%s: manifest.json is not a docker-archive manifest: %v", file, err)}
		}
		for _, e := range m {
			for _, t := range e.RepoTags {
				im.tags = append(im.tags, imageref.Normalize(t))
			}
			if im.id == "" && e.Config != "" {
				hex := strings.TrimSuffix(filepath.Base(e.Config), ".json")
				if len(hex) == 64 {
					im.id = "sha256:" + hex
				}
			}
		}
	case index != nil:
		var ix struct {
			Manifests []struct {
				Digest      string
				Annotations map[string]string
			}
		}
		if err := json.Unmarshal(index, &ix); err != nil {
			return image{}, &exitError{1, fmt.Sprintf("%s: index.json is not an OCI index: %v", file, err)}
		}
		for _, m := range ix.Manifests {
			if n := m.Annotations["io.containerd.image.name"]; n != "" {
				im.tags = append(im.tags, imageref.Normalize(n))
			} else if n := m.Annotations["org.opencontainers.image.ref.name"]; strings.ContainsAny(n, "/:") {
				im.tags = append(im.tags, imageref.Normalize(n))
			}
			if im.id == "" {
				im.id = m.Digest
			}
		}
	default:
		return image{}, &exitError{1, fmt.Sprintf("%s is not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI)", file)}
	}
	if len(im.tags) == 0 {
		return image{}, &exitError{1, fmt.Sprintf("%s names no image (no RepoTags): the test bed's nodes list images by name, so save a tagged image", file)}
	}
	return im, nil
}

// ---------------------------------------------------------------------------------------------
// load docker-image

func loadDockerImages(f *flags, refs []string, stderr io.Writer) error {
	ctx := context.Background()
	var images []image
	for _, ref := range refs {
		im := image{tags: []string{imageref.Normalize(ref)}, source: ref}
		if host := os.Getenv("DOCKER_HOST"); host != "" {
			id, size, err := inspectImage(ctx, host, ref)
			if err != nil {
				return err
			}
			im.id, im.size = id, size
		}
		images = append(images, im)
	}
	cs, nodes, err := targetNodes(ctx, f)
	if err != nil {
		return err
	}
	for _, im := range images {
		for _, n := range nodes {
			id := im.id
			if id == "" {
				id = "(not checked: DOCKER_HOST unset)"
			}
			fmt.Fprintf(stderr, "Image: %q with ID %q not yet present on node %q, loading...\n", im.source, id, n)
		}
	}
	return record(ctx, cs, nodes, images)
}

// inspectImage asks the Docker Engine API at host whether the image exists: its ID and size.
func inspectImage(ctx context.Context, host, ref string) (string, int64, error) {
	hc := &http.Client{Timeout: 15 * time.Second}
	base := ""
	switch {
	case strings.HasPrefix(host, "unix://"):
		sock := strings.TrimPrefix(host, "unix://")
		hc.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}
		base = "http://docker"
	case strings.HasPrefix(host, "tcp://"):
		base = "http://" + strings.TrimPrefix(host, "tcp://")
	case strings.HasPrefix(host, "http://"):
		base = host
	default:
		return "", 0, &exitError{1, fmt.Sprintf("DOCKER_HOST %q: the test bed's kind stand-in speaks unix:// or tcp:// (plain HTTP) only", host)}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/images/"+ref+"/json", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, &exitError{1, fmt.Sprintf("cannot reach the Docker engine at %s: %v", host, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", 0, &exitError{1, fmt.Sprintf("image: %q not present locally", ref)}
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return "", 0, &exitError{1, fmt.Sprintf("image: %q: the Docker engine answered %s: %s", ref, resp.Status, strings.TrimSpace(string(b)))}
	}
	var out struct {
		ID   string `json:"Id"`
		Size int64
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", 0, &exitError{1, fmt.Sprintf("image: %q: unreadable answer from the Docker engine: %v", ref, err)}
	}
	if !strings.HasPrefix(out.ID, "sha256:") && out.ID != "" {
		out.ID = "sha256:" + out.ID
	}
	return out.ID, out.Size, nil
}
