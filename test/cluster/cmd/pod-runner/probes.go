package main

// Probes, like a kubelet's, against the container's local ports: startupProbe holds the others
// back and restarts the container when it never passes; readinessProbe sets Ready (checked every
// 0.2 s until it first passes, so pods do not wait a period for nothing, then every periodSeconds,
// failureThreshold failures in a row make the pod unready again); livenessProbe restarts the
// container after failureThreshold failures in a row. Only httpGet and tcpSocket handlers are run;
// without a readinessProbe the main port accepting TCP counts as ready.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

type probe struct {
	check            func(ctx context.Context) (bool, string)
	initialDelay     time.Duration
	period           time.Duration
	timeout          time.Duration
	failureThreshold int
}

type probes struct {
	startup, readiness, liveness *probe
}

func makeProbes(spec corev1.Container, ports map[int32]int32, mainPort int32) probes {
	local := func(p int32) int32 {
		if lp, ok := ports[p]; ok {
			return lp
		}
		return mainPort
	}
	ps := probes{
		startup:   buildProbe(spec.StartupProbe, spec, local),
		readiness: buildProbe(spec.ReadinessProbe, spec, local),
		liveness:  buildProbe(spec.LivenessProbe, spec, local),
	}
	if ps.readiness == nil {
		ps.readiness = &probe{period: 10 * time.Second, timeout: time.Second, failureThreshold: 3,
			check: func(context.Context) (bool, string) { return true, "" }}
		if mainPort != 0 {
			ps.readiness.check = tcpCheck(mainPort, time.Second)
		}
	}
	return ps
}

func buildProbe(p *corev1.Probe, spec corev1.Container, local func(int32) int32) *probe {
	if p == nil {
		return nil
	}
	out := &probe{
		initialDelay:     time.Duration(p.InitialDelaySeconds) * time.Second,
		period:           orDefault(p.PeriodSeconds, 10),
		timeout:          orDefault(p.TimeoutSeconds, 1),
		failureThreshold: int(p.FailureThreshold),
	}
	if out.failureThreshold <= 0 {
		out.failureThreshold = 3
	}
	named := func(port int32, name string) int32 {
		if port == 0 && name != "" {
			for _, cp := range spec.Ports {
				if cp.Name == name {
					return local(cp.ContainerPort)
				}
			}
		}
		return local(port)
	}
	switch {
	case p.HTTPGet != nil:
		g := p.HTTPGet
		url := fmt.Sprintf("http://127.0.0.1:%d%s", named(g.Port.IntVal, g.Port.StrVal), g.Path)
		timeout := out.timeout
		out.check = func(ctx context.Context) (bool, string) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set("User-Agent", "kube-probe/1.36")
			for _, h := range g.HTTPHeaders {
				req.Header.Set(h.Name, h.Value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err.Error()
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				return true, ""
			}
			return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
	case p.TCPSocket != nil:
		out.check = tcpCheck(named(p.TCPSocket.Port.IntVal, p.TCPSocket.Port.StrVal), out.timeout)
	default:
		return nil // exec and grpc probes are not run here
	}
	return out
}

func orDefault(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

func tcpCheck(port int32, timeout time.Duration) func(context.Context) (bool, string) {
	return func(context.Context) (bool, string) {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), timeout)
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	}
}

// probe runs the container's probes while its process runs (until done); a failed startup or
// liveness probe asks for the process to be killed (kill), which the restart path then handles.
func (pr *podRun) probe(c *container, done <-chan struct{}, kill chan<- struct{}) {
	ctx := pr.ctx
	started := time.Now()
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-done:
			return false
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	killFor := func(which, detail string) {
		klog.Infof("%s: container %s: %s probe failed (%s): restarting it", pr.key(), c.spec.Name, which, detail)
		pr.event(corev1.EventTypeWarning, "Unhealthy", fmt.Sprintf("%s probe failed: %s", which, detail))
		pr.event(corev1.EventTypeNormal, "Killing", fmt.Sprintf("Container %s failed %s probe, will be restarted", c.spec.Name, lower(which)))
		select {
		case kill <- struct{}{}:
		default:
		}
	}
	if sp := c.probes.startup; sp != nil {
		deadline := started.Add(sp.initialDelay + time.Duration(sp.failureThreshold)*sp.period)
		for {
			if !wait(200 * time.Millisecond) {
				return
			}
			ok, detail := sp.check(ctx)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				killFor("Startup", detail)
				return
			}
		}
	}
	if lp := c.probes.liveness; lp != nil {
		go func() {
			if !wait(max(0, time.Until(started.Add(lp.initialDelay)))) {
				return
			}
			fails := 0
			for wait(lp.period) {
				ok, detail := lp.check(ctx)
				if ok {
					fails = 0
					continue
				}
				if fails++; fails >= lp.failureThreshold {
					killFor("Liveness", detail)
					return
				}
			}
		}()
	}
	rp := c.probes.readiness
	ready, fails := false, 0
	setReady := func(v bool) {
		pr.mu.Lock()
		pr.status[c.spec.Name].Ready = v
		pr.mu.Unlock()
		pr.pushStatus()
	}
	for {
		d := 200 * time.Millisecond
		if ready {
			d = rp.period
		}
		if !wait(d) {
			return
		}
		ok, detail := rp.check(ctx)
		switch {
		case ok && !ready:
			ready, fails = true, 0
			setReady(true)
			klog.Infof("%s: container %s ready", pr.key(), c.spec.Name)
		case ok:
			fails = 0
		case ready:
			if fails++; fails >= rp.failureThreshold {
				ready = false
				pr.event(corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: "+detail)
				setReady(false)
			}
		}
	}
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
