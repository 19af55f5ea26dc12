package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// podRun is one pod whose containers run as local processes.
type podRun struct {
	r      *runner
	pod    *corev1.Pod
	dir    string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	status      map[string]*corev1.ContainerStatus // by container name
	initStatus  map[string]*corev1.ContainerStatus
	initialized bool
	ports       map[int32]int32 // container port -> local port, of the containers that run here
	pushMu      sync.Mutex      // one status write at a time, each with the newest states
	resolved    []*container    // once run has resolved them (terminate.go)

	terminating bool        // guarded by r.mu: a shutdown has begun (terminate.go)
	stopping    atomic.Bool // containers are being stopped: do not restart them

	wakeMu sync.Mutex
	wakeCh chan struct{} // closed (and replaced) when the pod's node changes
}

func newPodRun(r *runner, p *corev1.Pod) *podRun {
	ctx, cancel := context.WithCancel(context.Background())
	return &podRun{
		r: r, pod: p.DeepCopy(), ctx: ctx, cancel: cancel,
		dir:        filepath.Join(r.cfg.stateDir, "pods", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID)),
		status:     map[string]*corev1.ContainerStatus{},
		initStatus: map[string]*corev1.ContainerStatus{},
		wakeCh:     make(chan struct{}),
	}
}

func (pr *podRun) key() string { return pr.pod.Namespace + "/" + pr.pod.Name }

// notify wakes everything of this pod that waits for its node to change.
func (pr *podRun) notify() {
	pr.wakeMu.Lock()
	close(pr.wakeCh)
	pr.wakeCh = make(chan struct{})
	pr.wakeMu.Unlock()
}

func (pr *podRun) wake() <-chan struct{} {
	pr.wakeMu.Lock()
	defer pr.wakeMu.Unlock()
	return pr.wakeCh
}

func (pr *podRun) stop() {
	pr.cancel()
	pr.wg.Wait()
	_ = os.RemoveAll(filepath.Join(pr.dir, "volumes"))
}

// container is one container's resolved plan.
type container struct {
	spec    corev1.Container
	argv    []string
	env     []string
	workDir string
	ports   map[int32]int32 // container port -> local port
	logFile string
	prevLog string
	probes  probes
	// prepare, when set, runs before each start (e.g. installs the stand-in once); its output
	// goes to the container log, and an error counts as a failed start.
	prepare func(log io.Writer) error
	noRun   string // reason, when the container can't be run here
	// configErr: noRun because a referenced Secret/ConfigMap or key is missing, which a real
	// kubelet reports as CreateContainerConfigError (the container never starts).
	configErr bool
	// the live process, for a kubelet-like shutdown (terminate.go)
	procMu sync.Mutex
	proc   *os.Process
	exited chan struct{}
}

func (pr *podRun) run(_ context.Context) {
	ctx := pr.ctx
	p := pr.pod
	if err := os.MkdirAll(pr.dir, 0o755); err != nil {
		klog.Errorf("%s: %v", pr.key(), err)
		return
	}
	var cs []*container
	var logs []map[string]any
	var forwards []map[string]any
	for i := range p.Spec.Containers {
		c, err := pr.resolve(ctx, i)
		if err != nil {
			klog.Errorf("%s: container %s: %v", pr.key(), p.Spec.Containers[i].Name, err)
			c = &container{spec: p.Spec.Containers[i], noRun: err.Error(), ports: map[int32]int32{},
				configErr: apierrors.IsNotFound(err) || strings.Contains(err.Error(), "has no key")}
			c.logFile = filepath.Join(pr.dir, c.spec.Name+".log")
			writeCRI(c.logFile, "stderr", "kaos pod-runner: cannot run container: "+err.Error())
		}
		cs = append(cs, c)
		logs = append(logs, map[string]any{"containers": []string{c.spec.Name}, "logsFile": c.logFile, "previousLogsFile": c.prevLogOrCurrent(), "follow": true})
		for cp, lp := range c.ports {
			forwards = append(forwards, map[string]any{"ports": []int32{cp}, "target": map[string]any{"port": lp, "address": "127.0.0.1"}})
		}
	}
	pr.mu.Lock()
	pr.resolved = cs
	pr.ports = map[int32]int32{}
	for _, c := range cs {
		if c.noRun != "" {
			continue
		}
		for cp, lp := range c.ports {
			if _, dup := pr.ports[cp]; !dup {
				pr.ports[cp] = lp
			}
		}
	}
	pr.mu.Unlock()
	// From now on the pod is deleted only once its processes are stopped (terminate.go).
	pr.r.addFinalizer(ctx, p)
	pr.r.svc.podsChanged(p.Namespace)
	if err := pr.r.applyKwok(ctx, p, "logs", "Logs", map[string]any{"logs": logs}); err != nil {
		klog.Errorf("%s: Logs: %v", pr.key(), err)
	}
	if len(forwards) > 0 {
		if err := pr.r.applyKwok(ctx, p, "portforwards", "PortForward", map[string]any{"forwards": forwards}); err != nil {
			klog.Errorf("%s: PortForward: %v", pr.key(), err)
		}
	}
	first := "ContainerCreating"
	if len(p.Spec.InitContainers) > 0 {
		first = "PodInitializing"
	}
	pr.mu.Lock()
	for _, ic := range p.Spec.InitContainers {
		pr.initStatus[ic.Name] = &corev1.ContainerStatus{Name: ic.Name, Image: ic.Image, State: waiting("PodInitializing", "")}
	}
	for _, c := range cs {
		pr.status[c.spec.Name] = &corev1.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, ImageID: "docker-pullable://" + c.spec.Image,
			ContainerID: "kaos-runner://" + string(p.UID) + "/" + c.spec.Name, Started: ptr(false), State: waiting(first, "")}
	}
	pr.initialized = len(p.Spec.InitContainers) == 0
	pr.mu.Unlock()
	pr.pushStatus()
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		if !pr.runInit() {
			return
		}
		for _, c := range cs {
			pr.wg.Add(1)
			go func() { defer pr.wg.Done(); pr.start(c) }()
		}
	}()
	<-ctx.Done()
}

// runInit: the runner runs no init container (as kwok, it marks them done), but like a kubelet
// it does not get past one whose image the node cannot have.
func (pr *podRun) runInit() bool {
	for _, ic := range pr.pod.Spec.InitContainers {
		set := func(reason, msg string) {
			pr.mu.Lock()
			pr.initStatus[ic.Name].State = waiting(reason, msg)
			pr.mu.Unlock()
			pr.pushStatus()
		}
		if !pr.awaitImage(ic, set) {
			return false
		}
		now := metav1.Now()
		pr.mu.Lock()
		st := pr.initStatus[ic.Name]
		st.ImageID = "docker-pullable://" + ic.Image
		if ic.RestartPolicy != nil && *ic.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
			st.Ready, st.Started = true, ptr(true)
		} else {
			st.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}}
			st.Ready = true
		}
		pr.mu.Unlock()
	}
	pr.mu.Lock()
	pr.initialized = true
	for _, st := range pr.status {
		if w := st.State.Waiting; w != nil && w.Reason == "PodInitializing" {
			st.State = waiting("ContainerCreating", "")
		}
	}
	pr.mu.Unlock()
	pr.pushStatus()
	return true
}

// start waits for the image like a kubelet, then runs the container (or reports why it can't).
func (pr *podRun) start(c *container) {
	set := func(reason, msg string) {
		pr.mu.Lock()
		st := pr.status[c.spec.Name]
		st.State, st.Ready = waiting(reason, msg), false
		pr.mu.Unlock()
		pr.pushStatus()
	}
	if !pr.awaitImage(c.spec, set) {
		return
	}
	switch {
	case c.configErr:
		set("CreateContainerConfigError", c.noRun)
	case c.noRun != "":
		// can't run it here: behave like plain kwok (Running/Ready)
		pr.mu.Lock()
		st := pr.status[c.spec.Name]
		st.Ready, st.Started = true, ptr(true)
		st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
		pr.mu.Unlock()
		pr.pushStatus()
	default:
		pr.supervise(c)
	}
}

func (c *container) prevLogOrCurrent() string {
	if c.prevLog != "" {
		return c.prevLog
	}
	return c.logFile
}

// supervise runs a container's process, restarting it like a kubelet would.
func (pr *podRun) supervise(c *container) {
	ctx := pr.ctx
	backoff := time.Second
	restarts := int32(0)
	for ctx.Err() == nil && !pr.stopping.Load() {
		started := time.Now()
		code, err := pr.runOnce(c, restarts)
		if ctx.Err() != nil || pr.stopping.Load() {
			return
		}
		finished := time.Now()
		reason := "Error"
		if code == 0 {
			reason = "Completed"
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		klog.Infof("%s: container %s exited with code %d %s", pr.key(), c.spec.Name, code, msg)
		policy := pr.pod.Spec.RestartPolicy
		pr.mu.Lock()
		st := pr.status[c.spec.Name]
		st.Ready, st.Started = false, ptr(false)
		term := &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason, Message: msg,
			StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(finished), ContainerID: st.ContainerID}
		restart := policy == corev1.RestartPolicyAlways || policy == "" || (policy == corev1.RestartPolicyOnFailure && code != 0)
		if restart {
			st.LastTerminationState = corev1.ContainerState{Terminated: term}
			st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", backoff, c.spec.Name, pr.pod.Name, pr.pod.Namespace, pr.pod.UID)}}
		} else {
			st.State = corev1.ContainerState{Terminated: term}
		}
		pr.mu.Unlock()
		pr.pushStatus()
		if restart {
			pr.event(corev1.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", c.spec.Name, pr.pod.Name))
		} else {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if finished.Sub(started) > 5*time.Minute {
			backoff = time.Second
		} else if backoff < 30*time.Second {
			backoff *= 2
		}
		restarts++
		pr.mu.Lock()
		pr.status[c.spec.Name].RestartCount = restarts
		pr.mu.Unlock()
	}
}

// runOnce starts the process, runs its probes (Ready, restarts on liveness failure) and
// returns its exit code.
func (pr *podRun) runOnce(c *container, restarts int32) (int, error) {
	ctx := pr.ctx
	if restarts > 0 {
		// rotate: current log becomes the previous one
		_ = os.Rename(c.logFile, c.prevLog)
	}
	lf, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 128, err
	}
	defer lf.Close()
	lw := &criWriter{f: lf}
	if c.prepare != nil {
		out := lw.stream("stderr")
		err := c.prepare(out)
		out.Close()
		if err != nil {
			lw.line("stderr", "kaos pod-runner: "+err.Error())
			klog.Errorf("%s: container %s: %v", pr.key(), c.spec.Name, err)
			return 1, err
		}
	}
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = c.env
	cmd.Dir = c.workDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	klog.Infof("%s: container %s: starting %q (ports %v)", pr.key(), c.spec.Name, c.argv, c.ports)
	if err := cmd.Start(); err != nil {
		lw.line("stderr", "kaos pod-runner: failed to start: "+err.Error())
		return 128, err
	}
	var copyWG sync.WaitGroup
	copyWG.Add(2)
	go func() { defer copyWG.Done(); lw.copy("stdout", stdout) }()
	go func() { defer copyWG.Done(); lw.copy("stderr", stderr) }()
	startedAt := metav1.Now()
	pr.mu.Lock()
	st := pr.status[c.spec.Name]
	st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: startedAt}}
	st.Started, st.Ready = ptr(true), false
	pr.mu.Unlock()
	pr.pushStatus()

	done := make(chan struct{})
	c.setRunning(cmd.Process, done)
	kill := make(chan struct{}, 1)
	go pr.probe(c, done, kill)
	go func() { // stop on pod deletion or a failed liveness probe: SIGTERM the group, SIGKILL after grace
		select {
		case <-done:
			return
		case <-ctx.Done():
		case <-kill:
		}
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
	copyWG.Wait()
	err = cmd.Wait()
	close(done)
	c.setRunning(nil, nil)
	if cmd.ProcessState != nil {
		// also make sure no grandchild survives
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return cmd.ProcessState.ExitCode(), nil
	}
	return 128, err
}

// pushStatus writes the pod status from the container states, as a kubelet computes it.
func (pr *podRun) pushStatus() {
	pr.pushMu.Lock()
	defer pr.pushMu.Unlock()
	pr.mu.Lock()
	var statuses, initStatuses []corev1.ContainerStatus
	allReady, allTerminated, allZero, pending := true, true, true, false
	for _, c := range pr.pod.Spec.InitContainers {
		if st, ok := pr.initStatus[c.Name]; ok {
			initStatuses = append(initStatuses, *st.DeepCopy())
		}
	}
	for _, c := range pr.pod.Spec.Containers {
		if st, ok := pr.status[c.Name]; ok {
			statuses = append(statuses, *st.DeepCopy())
			allReady = allReady && st.Ready
			if t := st.State.Terminated; t != nil {
				allZero = allZero && t.ExitCode == 0
			} else {
				allTerminated = false
			}
			// a container that never ran yet keeps the pod Pending (kubelet's getPhase)
			if st.State.Waiting != nil && st.LastTerminationState.Terminated == nil {
				pending = true
			}
		}
	}
	initialized := pr.initialized
	pr.mu.Unlock()
	phase := corev1.PodRunning
	switch {
	case !initialized || pending:
		phase = corev1.PodPending
	case allTerminated && len(statuses) > 0:
		phase = corev1.PodSucceeded
		if !allZero {
			phase = corev1.PodFailed
		}
	}
	ready := corev1.ConditionFalse
	reason := "ContainersNotReady"
	if allReady {
		ready, reason = corev1.ConditionTrue, ""
	}
	initCond, initReason := corev1.ConditionTrue, ""
	if !initialized {
		initCond, initReason = corev1.ConditionFalse, "ContainersNotInitialized"
	}
	// Keep trying for a while: an API server restart must not lose a status change for good.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 10)) * 300 * time.Millisecond)
		}
		p, err := pr.r.cs.CoreV1().Pods(pr.pod.Namespace).Get(ctx, pr.pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			continue
		}
		if p.UID != pr.pod.UID || p.DeletionTimestamp != nil {
			return
		}
		now := metav1.Now()
		p.Status.Phase = phase
		if p.Status.StartTime == nil {
			p.Status.StartTime = &now
		}
		p.Status.HostIP = "127.0.0.1"
		p.Status.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
		if ip := net.ParseIP(p.Status.PodIP); ip == nil || ip.IsLoopback() {
			addr := pr.r.podIP(p.UID)
			p.Status.PodIP = addr
			p.Status.PodIPs = []corev1.PodIP{{IP: addr}}
		}
		p.Status.ContainerStatuses = statuses
		if len(initStatuses) > 0 {
			p.Status.InitContainerStatuses = initStatuses
		}
		setCond(p, corev1.PodScheduled, corev1.ConditionTrue, "")
		setCond(p, corev1.PodInitialized, initCond, initReason)
		setCond(p, corev1.ContainersReady, ready, reason)
		setCond(p, corev1.PodReady, ready, reason)
		_, err = pr.r.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return
		}
		klog.Errorf("%s: status (attempt %d): %v", pr.key(), attempt+1, err)
	}
}

func setCond(p *corev1.Pod, t corev1.PodConditionType, s corev1.ConditionStatus, reason string) {
	now := metav1.Now()
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type == t {
			if c.Status != s {
				c.Status, c.LastTransitionTime = s, now
			}
			c.Reason = reason
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: now})
}

func (pr *podRun) event(typ, reason, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := metav1.Now()
	_, err := pr.r.cs.CoreV1().Events(pr.pod.Namespace).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pr.pod.Name + ".", Namespace: pr.pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pr.pod.Namespace, Name: pr.pod.Name, UID: pr.pod.UID, APIVersion: "v1"},
		Reason:         reason, Message: msg, Type: typ, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet", Host: pr.pod.Spec.NodeName},
	}, metav1.CreateOptions{})
	if err != nil {
		klog.V(2).Infof("%s: event: %v", pr.key(), err)
	}
}

// applyKwok creates or replaces a namespaced kwok resource named like the pod,
// owned by the pod (so the garbage collector removes it with the pod).
func (r *runner) applyKwok(ctx context.Context, p *corev1.Pod, resource, kind string, spec map[string]any) error {
	gvr := schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: resource}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       kind,
		"metadata": map[string]any{
			"name": p.Name, "namespace": p.Namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "kaos-testbed-pod-runner"},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "v1", "kind": "Pod", "name": p.Name, "uid": string(p.UID),
			}},
		},
		"spec": spec,
	}}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	_, err = r.dyn.Resource(gvr).Namespace(p.Namespace).Patch(ctx, p.Name, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "kaos-testbed-pod-runner", Force: ptr(true)})
	return err
}

// resolve builds the container's process plan.
func (pr *podRun) resolve(ctx context.Context, idx int) (*container, error) {
	p := pr.pod
	spec := p.Spec.Containers[idx]
	c := &container{spec: spec, ports: map[int32]int32{}}
	c.logFile = filepath.Join(pr.dir, spec.Name+".log")
	c.prevLog = filepath.Join(pr.dir, spec.Name+".previous.log")
	_ = os.Remove(c.logFile)

	// local ports for the declared container ports
	for _, cp := range spec.Ports {
		if cp.Protocol != "" && cp.Protocol != corev1.ProtocolTCP {
			continue
		}
		lp, err := freePort()
		if err != nil {
			return nil, err
		}
		c.ports[cp.ContainerPort] = lp
	}

	env, err := pr.r.resolveEnv(ctx, p, spec)
	if err != nil {
		return nil, err
	}
	// volumes: write ConfigMap/Secret files locally; map mount paths
	mounts, err := pr.r.materializeVolumes(ctx, p, spec, filepath.Join(pr.dir, "volumes"))
	if err != nil {
		return nil, err
	}
	rw := newRewriter(mounts, c.ports)

	// image -> local process
	var argv []string
	kind := ""
	if idx == 0 {
		if raw, ok := p.Annotations[annTestCommand]; ok {
			if err := json.Unmarshal([]byte(raw), &argv); err != nil || len(argv) == 0 {
				return nil, fmt.Errorf("annotation %s must be a non-empty JSON array of strings: %v", annTestCommand, err)
			}
			kind = "test-command"
		}
	}
	if kind == "" {
		argv, kind, err = pr.r.imageCommand(p, spec, c)
		if err != nil {
			return nil, err
		}
	}
	// a server with no declared port still needs one for the probe
	mainPort := int32(0)
	for _, cp := range spec.Ports {
		if lp, ok := c.ports[cp.ContainerPort]; ok {
			mainPort = lp
			break
		}
	}
	if mainPort == 0 && kind != "test-command" {
		lp, err := freePort()
		if err != nil {
			return nil, err
		}
		c.ports[8000] = lp
		mainPort = lp
		rw = newRewriter(mounts, c.ports)
	}

	// env: k8s $(VAR) expansion already done; rewrite ports and paths
	envMap := map[string]string{}
	for _, kv := range env {
		envMap[kv.name] = rw.value(kv.name, kv.value)
	}
	if mainPort != 0 && kind != "test-command" {
		envMap["PORT"] = strconv.Itoa(int(mainPort))
	}
	if kind == "stdio" {
		// the image's adapter listens on all interfaces; here that would be this machine's
		if _, ok := envMap["KAOS_ADAPTER_HOST"]; !ok {
			envMap["KAOS_ADAPTER_HOST"] = "127.0.0.1"
		}
	}
	for cp, lp := range c.ports {
		envMap[fmt.Sprintf("KAOS_TEST_PORT_%d", cp)] = strconv.Itoa(int(lp))
	}
	lookup := func(n string) (string, bool) { v, ok := envMap[n]; return v, ok }
	for i, a := range argv {
		argv[i] = rw.path(expandK8s(a, lookup))
	}
	if kind != "test-command" && kind != "stdio" {
		// (a stdio server's args are its own: it listens on no port)
		argv = rw.args(argv)
	}
	argv = pr.r.postProcess(kind, argv, c, mainPort, p)

	// base environment of a process on this machine + the container env
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8", "TMPDIR=" + os.TempDir(),
		"HOSTNAME=" + p.Name}
	for _, kv := range base {
		n := kv[:strings.IndexByte(kv, '=')]
		if _, ok := envMap[n]; !ok {
			c.env = append(c.env, kv)
		}
	}
	keys := make([]string, 0, len(envMap))
	for k := range envMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.env = append(c.env, k+"="+envMap[k])
	}
	c.argv = argv
	c.workDir = pr.dir
	if spec.WorkingDir != "" {
		if d := rw.path(spec.WorkingDir); d != spec.WorkingDir {
			c.workDir = d
		}
	}
	c.probes = makeProbes(spec, c.ports, mainPort)
	return c, nil
}

// podIP is the pod's address in its status. It stands for the pod as a CNI plugin's address
// would, but nothing listens on it: the pod's processes listen on 127.0.0.1 (which is also what
// status.podIP gives them through the downward API), and Services reach them through the
// runner's Service network (svcnet.go). It cannot be 127.0.0.1 itself: the EndpointSlice
// controller refuses loopback addresses, which would leave every Service without endpoints.
// Addresses come from the upper half of the pod CIDR (kwok hands out the lower half from its
// bottom), chosen from the pod's UID so that a restarted runner mostly gives the same one.
func (r *runner) podIP(uid types.UID) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ip, u := range r.ips {
		if u == uid {
			return ip
		}
	}
	_, network, err := net.ParseCIDR(r.cfg.podCIDR)
	if err != nil || network.IP.To4() == nil {
		_, network, _ = net.ParseCIDR("10.244.0.0/16")
	}
	base := network.IP.To4()
	ones, bits := network.Mask.Size()
	half := uint32(1) << uint(bits-ones-1)
	start := binary.BigEndian.Uint32(base) + half
	h := fnv.New32a()
	_, _ = h.Write([]byte(uid))
	n := half - 2 // leave out the broadcast address
	for i := uint32(0); i < n; i++ {
		b := make(net.IP, 4)
		binary.BigEndian.PutUint32(b, start+1+(h.Sum32()+i)%n)
		if _, taken := r.ips[b.String()]; !taken {
			r.ips[b.String()] = uid
			return b.String()
		}
	}
	return "127.0.0.1"
}

func (r *runner) releasePodIP(uid types.UID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ip, u := range r.ips {
		if u == uid {
			delete(r.ips, ip)
		}
	}
}

func freePort() (int32, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port), nil
}

// criWriter writes lines in the CRI log format kwok's Logs reader expects.
type criWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *criWriter) line(stream, s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.f, "%s %s F %s\n", time.Now().UTC().Format(time.RFC3339Nano), stream, s)
}

// stream is an io.Writer of whole lines into the log (for output that is not a process's).
func (w *criWriter) stream(stream string) io.WriteCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); w.copy(stream, pr) }()
	return &pipeCloser{PipeWriter: pw, done: done}
}

type pipeCloser struct {
	*io.PipeWriter
	done chan struct{}
}

func (p *pipeCloser) Close() error { err := p.PipeWriter.Close(); <-p.done; return err }

func (w *criWriter) copy(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			w.line(stream, strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			return
		}
	}
}

func writeCRI(file, stream, s string) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	(&criWriter{f: f}).line(stream, s)
}

func ptr[T any](v T) *T { return &v }

// serviceAccountKubeconfig writes a kubeconfig with a token of the pod's
// service account, so children that talk to the cluster get the pod's RBAC.
func (r *runner) serviceAccountKubeconfig(ctx context.Context, p *corev1.Pod, dir string) (string, error) {
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr, err := r.cs.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, sa, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(24 * 3600)),
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID}},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	ca, err := os.ReadFile(r.cfg.caFile)
	if err != nil {
		return "", err
	}
	_ = os.MkdirAll(dir, 0o700)
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster: {server: %q, certificate-authority-data: %q}
users:
- name: %s
  user: {token: %q}
contexts:
- name: testbed
  context: {cluster: testbed, user: %s, namespace: %s}
current-context: testbed
`, r.cfg.server, b64(ca), sa, tr.Status.Token, sa, p.Namespace)
	f := filepath.Join(dir, "kubeconfig")
	return f, os.WriteFile(f, []byte(kc), 0o600)
}
