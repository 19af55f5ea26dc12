package main

// Pod termination as a kubelet does it, for the pods the runner runs. Without this, kwok's
// pod-delete stage removes a pod the moment it is marked for deletion and the runner kills its
// process at once: a rollout then cuts every call in flight, which no real cluster does.
//
// The runner puts its finalizer on the pods it runs. When such a pod is marked for deletion,
// kwok's delete cannot remove it (the finalizer holds it, so its port-forward keeps working) and
// the runner, per container: runs the preStop handler (`sleep`, `httpGet`; an `exec` handler
// cannot run here and is skipped with a log line), sends SIGTERM to the process group, waits for
// the process to exit until terminationGracePeriodSeconds (counted from the start of the
// shutdown, preStop included) is spent, then SIGKILL. Then it removes its finalizer and the pod
// is gone. Meanwhile the pod has a deletionTimestamp, so it has left the Service's ready
// endpoints and `kaos` picks other pods, as in a cluster.
//
// The grace period is the one the deleting client asked for (deletionGracePeriodSeconds: the pod
// spec's unless the client said otherwise, 0 for a forced delete), as a kubelet takes it; the test
// bed's pod-delete stage leaves pods holding the runner's finalizer alone (kwok's own would delete
// them again with 0), and deletes them once the runner has let go.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// runnerFinalizer holds the pods the runner runs until their processes are gone.
const runnerFinalizer = "kaos.tools/pod-runner"

// addFinalizer puts the runner's finalizer on a pod it is about to run.
func (r *runner) addFinalizer(ctx context.Context, p *corev1.Pod) {
	for _, f := range p.Finalizers {
		if f == runnerFinalizer {
			return
		}
	}
	patch := fmt.Sprintf(`{"metadata":{"finalizers":[%q]}}`, runnerFinalizer)
	// A strategic merge patch adds to the list (finalizers merge by value) and keeps the others.
	if _, err := r.cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		klog.Errorf("%s/%s: adding finalizer: %v", p.Namespace, p.Name, err)
	}
}

// removeFinalizer lets the pod go (JSON patch guarded by a test, retried on conflicts).
func (r *runner) removeFinalizer(p *corev1.Pod) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 10)) * 200 * time.Millisecond)
		}
		cur, err := r.cs.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && cur.UID != p.UID) {
			return
		}
		if err != nil {
			continue
		}
		idx := -1
		for i, f := range cur.Finalizers {
			if f == runnerFinalizer {
				idx = i
			}
		}
		if idx < 0 {
			return
		}
		ops, _ := json.Marshal([]map[string]any{
			{"op": "test", "path": fmt.Sprintf("/metadata/finalizers/%d", idx), "value": runnerFinalizer},
			{"op": "remove", "path": fmt.Sprintf("/metadata/finalizers/%d", idx)},
		})
		_, err = r.cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.JSONPatchType, ops, metav1.PatchOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return
		}
		klog.V(2).Infof("%s/%s: removing finalizer (attempt %d): %v", p.Namespace, p.Name, attempt+1, err)
	}
	klog.Errorf("%s/%s: could not remove finalizer %s", p.Namespace, p.Name, runnerFinalizer)
}

// terminate shuts a pod marked for deletion down like a kubelet (once), then releases it.
func (r *runner) terminate(p *corev1.Pod) {
	r.mu.Lock()
	pr, ok := r.pods[p.UID]
	if ok && pr != nil {
		if pr.terminating {
			r.mu.Unlock()
			return
		}
		pr.terminating = true
	}
	r.mu.Unlock()
	if !ok || pr == nil {
		// Nothing of ours runs (a pod the runner left alone, or one from before a restart): do not
		// hold it.
		if hasFinalizer(p) {
			go r.removeFinalizer(p)
		}
		return
	}
	go func() {
		grace := 30 * time.Second
		if g := p.DeletionGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		} else if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		klog.Infof("%s: terminating (grace %s)", pr.key(), grace)
		pr.shutdown(grace)
		r.stop(p.UID, "pod terminated")
		r.removeFinalizer(p)
	}()
}

func hasFinalizer(p *corev1.Pod) bool {
	for _, f := range p.Finalizers {
		if f == runnerFinalizer {
			return true
		}
	}
	return false
}

// shutdown stops every container's process: preStop, SIGTERM, SIGKILL when the grace is spent.
func (pr *podRun) shutdown(grace time.Duration) {
	deadline := time.Now().Add(grace)
	pr.stopping.Store(true)
	var wg sync.WaitGroup
	for _, c := range pr.containers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr.stopContainer(c, deadline)
		}()
	}
	wg.Wait()
}

func (pr *podRun) stopContainer(c *container, deadline time.Time) {
	proc, exited := c.running()
	if proc == nil {
		return
	}
	if h := c.spec.Lifecycle; h != nil && h.PreStop != nil {
		pr.preStop(c, h.PreStop, deadline, exited)
	}
	pgid := proc.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	// A kubelet gives at least 2 s after SIGTERM, even when preStop used up the grace period.
	wait := max(time.Until(deadline), 2*time.Second)
	select {
	case <-exited:
		klog.Infof("%s: container %s exited after SIGTERM", pr.key(), c.spec.Name)
	case <-time.After(wait):
		klog.Infof("%s: container %s still running after the grace period: SIGKILL", pr.key(), c.spec.Name)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}

// preStop runs a container's preStop handler, within the grace period.
func (pr *podRun) preStop(c *container, h *corev1.LifecycleHandler, deadline time.Time, exited <-chan struct{}) {
	switch {
	case h.Sleep != nil:
		d := min(time.Duration(h.Sleep.Seconds)*time.Second, time.Until(deadline))
		klog.Infof("%s: container %s: preStop sleep %s", pr.key(), c.spec.Name, d)
		select {
		case <-time.After(d):
		case <-exited:
		}
	case h.HTTPGet != nil:
		port := c.localPort(h.HTTPGet.Port.IntVal, h.HTTPGet.Port.StrVal)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, h.HTTPGet.Path), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	case h.Exec != nil:
		klog.Infof("%s: container %s: preStop exec %q cannot run on the test bed (no container image here); skipped", pr.key(), c.spec.Name, h.Exec.Command)
	}
}

// localPort is the local port a container port (number or name) was given.
func (c *container) localPort(num int32, name string) int32 {
	if num == 0 {
		for _, cp := range c.spec.Ports {
			if cp.Name == name {
				num = cp.ContainerPort
			}
		}
	}
	return c.ports[num]
}

// running is the container's live process and a channel closed when it exits, or nil.
func (c *container) running() (*os.Process, <-chan struct{}) {
	c.procMu.Lock()
	defer c.procMu.Unlock()
	return c.proc, c.exited
}

func (c *container) setRunning(p *os.Process, exited chan struct{}) {
	c.procMu.Lock()
	c.proc, c.exited = p, exited
	c.procMu.Unlock()
}

// containers are the pod's resolved containers (set once run has resolved them).
func (pr *podRun) containers() []*container {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return append([]*container(nil), pr.resolved...)
}
