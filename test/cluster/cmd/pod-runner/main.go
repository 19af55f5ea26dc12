// Command pod-runner is the kaos test bed's local "container runtime": it
// watches pods bound to kwok's fake nodes and, for pods whose image it knows
// how to run on this machine (or that carry the kaos.tools/test-command
// annotation), starts the real process with the container's env, args and
// ConfigMap/Secret volumes, then wires kwok PortForward and Logs resources to
// it so `kubectl port-forward` and `kubectl logs` through the real apiserver
// reach that process. It reports the process state in the pod status
// (Ready after the port answers, CrashLoopBackOff with the exit code when it
// exits). See test/cluster/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// Annotations understood by the runner.
const (
	annTestCommand = "kaos.tools/test-command"   // JSON array, run as-is for the first container
	annExitCode    = "kaos.tools/test-exit-code" // used by the crashloop stage; echoed in its log
	annNoRun       = "kaos.tools/test-no-run"    // "true": leave the pod to kwok's stages
)

// RunnerImages matches the images the runner knows how to run; the kwok
// pod-ready stage excludes the same set (stages/pod-ready.yaml), so the runner
// owns their status. It also owns every pod with a local-only image (see
// images.go), to decide like a kubelet whether the image is there.
var RunnerImages = regexp.MustCompile(`kaos-rawpython|kubernetes[-_]mcp[-_]server|slack[-_]mcp[-_]server|litellm|/kaos-mcp-[^/:@]+([:@]|$)|/kaos-gateway([:@]|$)|(^|/)kaos-agent([:@]|$)`)

// testImages are the kaos-test.invalid failure images: kwok stages give them their status.
var testImages = regexp.MustCompile(`^kaos-test[.]invalid/`)

var crashloopImage = regexp.MustCompile(`^kaos-test[.]invalid/crashloop([:@]|$)`)

type config struct {
	kubeconfig      string // runner's own identity
	childKubeconfig string // fallback kubeconfig for children that need the cluster
	stateDir        string
	repoRoot        string
	cacheDir        string
	server          string
	caFile          string
	podCIDR         string
}

type runner struct {
	cfg   config
	cs    kubernetes.Interface
	dyn   dynamic.Interface
	nodes corelisters.NodeLister
	mu    sync.Mutex
	pods  map[types.UID]*podRun
	ips   map[string]types.UID // pod IPs handed out, see podIP
	deps  *deps
	svc   *svcNet // nil when service networking is off
}

func main() {
	var cfg config
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "kubeconfig of the runner")
	flag.StringVar(&cfg.childKubeconfig, "child-kubeconfig", "", "kubeconfig given to children that talk to the cluster when no service account token can be made")
	flag.StringVar(&cfg.stateDir, "state-dir", "", "directory for per-pod files and logs")
	flag.StringVar(&cfg.repoRoot, "repo-root", "", "kaos repository root")
	flag.StringVar(&cfg.cacheDir, "cache-dir", "", "runner dependency cache (venvs, npm packages)")
	flag.StringVar(&cfg.podCIDR, "pod-cidr", "10.244.0.0/16", "the pod network kwok allocates from; the runner's pods get addresses from its upper half")
	klog.InitFlags(nil)
	var hostsFile, svcLockDir string
	var noSvcNet bool
	flag.StringVar(&hostsFile, "hosts-file", "/etc/hosts", `where Service names go ("" for none)`)
	flag.StringVar(&svcLockDir, "svcnet-lock-dir", svcLockDirName, "machine-wide directory of the test beds' loopback claims and hosts-file lock")
	flag.BoolVar(&noSvcNet, "no-service-network", false, "serve no Service addresses or names")
	if len(os.Args) > 1 && os.Args[1] == "install" {
		os.Exit(installMain(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "svcnet-clean" {
		os.Exit(svcnetCleanMain(os.Args[2:]))
	}
	flag.Parse()
	if cfg.kubeconfig == "" || cfg.stateDir == "" || cfg.repoRoot == "" || cfg.cacheDir == "" {
		fmt.Fprintln(os.Stderr, "--kubeconfig, --state-dir, --repo-root and --cache-dir are required")
		os.Exit(2)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		klog.Fatal(err)
	}
	cfg.server = rc.Host
	cfg.caFile = filepath.Join(filepath.Dir(cfg.kubeconfig), "ca.crt")
	rc.QPS, rc.Burst = 50, 100
	r := &runner{cfg: cfg, pods: map[types.UID]*podRun{}, ips: map[string]types.UID{}, deps: newDeps(cfg.cacheDir, cfg.repoRoot)}
	r.cs = kubernetes.NewForConfigOrDie(rc)
	r.dyn = dynamic.NewForConfigOrDie(rc)
	if err := os.MkdirAll(cfg.stateDir, 0o755); err != nil {
		klog.Fatal(err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()

	f := informers.NewSharedInformerFactory(r.cs, 0)
	// Nodes first: whether a pod's image is "on the node" is read from the node's status.images,
	// and a pod seen before the nodes would get a wrong ErrImagePull.
	nodeInf := f.Core().V1().Nodes().Informer()
	r.nodes = f.Core().V1().Nodes().Lister()
	_, _ = nodeInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, o any) { r.nodeChanged(o.(*corev1.Node).Name) },
		AddFunc:    func(o any) { r.nodeChanged(o.(*corev1.Node).Name) },
	})
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), nodeInf.HasSynced) {
		klog.Fatal("node cache did not sync")
	}
	if !noSvcNet {
		r.svc = newSvcNet(r, hostsFile, svcLockDir)
		if err := r.svc.start(f); err != nil {
			klog.Errorf("service networking off: %v", err)
			r.svc = nil
		}
	}
	inf := f.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { r.sync(ctx, o.(*corev1.Pod)) },
		UpdateFunc: func(_, o any) { r.sync(ctx, o.(*corev1.Pod)) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if p, ok := o.(*corev1.Pod); ok {
				r.stop(p.UID, "pod deleted")
			}
		},
	})
	f.Start(ctx.Done())
	klog.Infof("pod-runner watching pods (state %s)", cfg.stateDir)
	<-ctx.Done()
	klog.Info("shutting down: stopping all children")
	r.mu.Lock()
	uids := make([]types.UID, 0, len(r.pods))
	for uid := range r.pods {
		uids = append(uids, uid)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, uid := range uids {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop(uid, "runner stopping") }()
	}
	wg.Wait()
	r.svc.stop()
}

// sync reacts to a pod add/update.
func (r *runner) sync(ctx context.Context, p *corev1.Pod) {
	if p.Spec.NodeName == "" {
		return
	}
	if p.DeletionTimestamp != nil {
		// preStop, SIGTERM, grace period, then release the pod (terminate.go)
		r.terminate(p)
		return
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return
	}
	r.mu.Lock()
	_, known := r.pods[p.UID]
	if !known {
		r.pods[p.UID] = nil // claim
	}
	r.mu.Unlock()
	if known {
		return
	}
	pr := r.plan(ctx, p)
	r.mu.Lock()
	if pr == nil {
		// keep the claim (nil) so we don't plan again
		r.mu.Unlock()
		return
	}
	r.pods[p.UID] = pr
	r.mu.Unlock()
	go pr.run(ctx)
}

// nodeChanged wakes the pods on that node that wait for an image to show up there.
func (r *runner) nodeChanged(node string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, pr := range r.pods {
		if pr != nil && pr.pod.Spec.NodeName == node {
			pr.notify()
		}
	}
}

func (r *runner) stop(uid types.UID, why string) {
	r.mu.Lock()
	pr, ok := r.pods[uid]
	delete(r.pods, uid)
	r.mu.Unlock()
	if ok && pr != nil {
		klog.Infof("%s: %s: stopping", pr.key(), why)
		r.svc.podsChanged(pr.pod.Namespace)
		pr.stop()
	}
	r.releasePodIP(uid)
	if why == "pod deleted" {
		dirs, _ := filepath.Glob(filepath.Join(r.cfg.stateDir, "pods", "*_"+string(uid)))
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
}

func (r *runner) plan(ctx context.Context, p *corev1.Pod) *podRun {
	if p.Annotations[annNoRun] == "true" {
		return nil
	}
	// crashloop test image: only give it a log (status comes from the stage)
	for _, c := range p.Spec.Containers {
		if crashloopImage.MatchString(c.Image) {
			r.crashloopLogs(ctx, p)
			return nil
		}
	}
	_, hasCmd := p.Annotations[annTestCommand]
	managed := hasCmd
	for _, c := range p.Spec.Containers {
		if RunnerImages.MatchString(c.Image) || localOnly(c) {
			managed = true
		}
	}
	for _, c := range p.Spec.InitContainers {
		managed = managed || localOnly(c)
	}
	if !managed {
		return nil
	}
	return newPodRun(r, p)
}

func (r *runner) crashloopLogs(ctx context.Context, p *corev1.Pod) {
	dir := filepath.Join(r.cfg.stateDir, "pods", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID))
	_ = os.MkdirAll(dir, 0o755)
	code := p.Annotations[annExitCode]
	if code == "" {
		code = "1"
	}
	f := filepath.Join(dir, "crash.log")
	now := time.Now().UTC().Format(time.RFC3339Nano)
	content := fmt.Sprintf("%s stdout F kaos-test crashloop image: starting\n%s stderr F kaos-test crashloop image: fatal error, exiting with code %s\n", now, now, code)
	_ = os.WriteFile(f, []byte(content), 0o644)
	logs := []map[string]any{{"logsFile": f, "previousLogsFile": f}}
	if err := r.applyKwok(ctx, p, "logs", "Logs", map[string]any{"logs": logs}); err != nil {
		klog.Errorf("%s/%s: crashloop Logs: %v", p.Namespace, p.Name, err)
	}
}
