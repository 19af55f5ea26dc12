package main

// Service networking, as kube-proxy and cluster DNS give it to pods, for processes on this
// machine (the runner's pods and the tests alike):
//
//   - Addresses: a Service's ClusterIP a.b.X.Y stands for the loopback address 127.B.X.Y, where B
//     is this test bed's own octet (96 unless another test bed on the machine holds it): the whole
//     127/8 is local, so nothing needs to be configured. The octet is claimed with a file lock
//     held for the runner's lifetime, so two test beds never share addresses.
//   - Names: `<svc>.<ns>.svc.cluster.local` and `<svc>.<ns>.svc` resolve to that address through
//     a block of /etc/hosts this runner owns (marked with its state dir; see internal/hostsblock),
//     updated as Services come and go and removed when the runner stops (and by test/cluster/down).
//   - Traffic: for every TCP port of a Service, a listener on its address and port forwards each
//     connection to one Ready endpoint (from the Service's EndpointSlices, as kube-proxy reads
//     them), round-robin per connection (sticky per client address with sessionAffinity ClientIP),
//     to the local port the runner gave the endpoint pod's container port (so named and numeric
//     targetPorts both work: the EndpointSlice controller has already resolved them). With no
//     Ready endpoint there is no listener, so a client gets "connection refused", as from
//     kube-proxy's REJECT rule.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"kaos.tools/testbed/internal/hostsblock"
)

// svcNetStatus is what tests read (<state dir>/svcnet.json) to know whether Service names work
// here, and why not.
type svcNetStatus struct {
	Loopback  string `json:"loopback"` // 127.B.0.0/16
	HostsFile string `json:"hostsFile"`
	Names     bool   `json:"names"`   // Service names resolve through HostsFile
	Problem   string `json:"problem"` // why not
}

type svcNet struct {
	r          *runner
	octet      int
	claim      *os.File
	owner      string // the block's owner in the hosts file: the runner's state dir
	hostsFile  string // "" when names are off
	lockDir    string
	statusFile string

	svcs   corelisters.ServiceLister
	slices discoverylisters.EndpointSliceLister
	queue  workqueue.TypedRateLimitingInterface[string]

	mu      sync.Mutex
	proxies map[string]*svcProxy // ns/name

	hostsWake    chan struct{}
	problem      string
	clashWarned  map[string]bool
	stopped      chan struct{}
	hostsStopped chan struct{}
}

type svcProxy struct {
	ns, name string
	ip       string
	ports    map[string]*portProxy // "TCP/80"
}

type backend struct {
	uid  types.UID // the endpoint's pod; "" for an address-only endpoint
	port int32     // container port on the pod, or port at addr
	addr string    // address-only endpoints (127/8): dialled as they are
}

func (b backend) key() string {
	if b.uid != "" {
		return string(b.uid) + "/" + strconv.Itoa(int(b.port))
	}
	return net.JoinHostPort(b.addr, strconv.Itoa(int(b.port)))
}

type portProxy struct {
	n       *svcNet
	svcKey  string
	addr    string // 127.B.X.Y:port
	mu      sync.Mutex
	ln      net.Listener
	lnErr   string
	list    []backend
	next    int
	sticky  map[string]stickyChoice // client address -> backend
	stickTo time.Duration           // 0: no session affinity
}

type stickyChoice struct {
	key  string
	last time.Time
}

const (
	defaultOctet   = 96
	svcLockDirName = "/tmp/kaos-testbed-svcnet"
)

func newSvcNet(r *runner, hostsFile, lockDir string) *svcNet {
	abs, _ := filepath.Abs(r.cfg.stateDir)
	return &svcNet{
		r: r, owner: abs, hostsFile: hostsFile, lockDir: lockDir,
		statusFile:   filepath.Join(r.cfg.stateDir, "svcnet.json"),
		proxies:      map[string]*svcProxy{},
		hostsWake:    make(chan struct{}, 1),
		clashWarned:  map[string]bool{},
		stopped:      make(chan struct{}),
		hostsStopped: make(chan struct{}),
		// a listener that could not open is tried again soon, never minutes later
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 5*time.Second)),
	}
}

func (n *svcNet) claimPath(octet int) string {
	return filepath.Join(n.lockDir, fmt.Sprintf("127.%d.lock", octet))
}

// claimOctet takes this test bed's loopback octet: the one it had before when free, else the
// first free one from 96 on.
func (n *svcNet) claimOctet() error {
	prefer := defaultOctet
	var old svcNetStatus
	if b, err := os.ReadFile(n.statusFile); err == nil && json.Unmarshal(b, &old) == nil {
		if _, err := fmt.Sscanf(old.Loopback, "127.%d.", &prefer); err != nil {
			prefer = defaultOctet
		}
	}
	order := []int{prefer}
	for o := defaultOctet; o <= 254; o++ {
		order = append(order, o)
	}
	for o := 2; o < defaultOctet; o++ {
		order = append(order, o)
	}
	for _, o := range order {
		f, ok, err := hostsblock.Claim(n.claimPath(o), n.owner)
		if err != nil {
			return fmt.Errorf("claim loopback 127.%d.0.0/16: %w", o, err)
		}
		if ok {
			n.octet, n.claim = o, f
			return nil
		}
	}
	return errors.New("every loopback /16 of 127/8 is held by another test bed")
}

func (n *svcNet) loopbackPrefix() string { return fmt.Sprintf("127.%d.0.0/16", n.octet) }

// start claims the octet and watches Services and EndpointSlices. Call before the factory starts.
func (n *svcNet) start(f informers.SharedInformerFactory) error {
	if err := n.claimOctet(); err != nil {
		return err
	}
	klog.Infof("service networking: ClusterIPs served on %s%s", n.loopbackPrefix(), map[bool]string{true: ", names in " + n.hostsFile, false: ", names off"}[n.hostsFile != ""])
	svcInf := f.Core().V1().Services().Informer()
	sliceInf := f.Discovery().V1().EndpointSlices().Informer()
	n.svcs = f.Core().V1().Services().Lister()
	n.slices = f.Discovery().V1().EndpointSlices().Lister()
	svcKey := func(o any) {
		if k, err := cache.DeletionHandlingMetaNamespaceKeyFunc(o); err == nil {
			n.queue.Add(k)
		}
	}
	sliceKey := func(o any) {
		if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = t.Obj
		}
		if s, ok := o.(*discoveryv1.EndpointSlice); ok && s.Labels[discoveryv1.LabelServiceName] != "" {
			n.queue.Add(s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName])
		}
	}
	_, _ = svcInf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: svcKey, UpdateFunc: func(_, o any) { svcKey(o) }, DeleteFunc: svcKey})
	_, _ = sliceInf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: sliceKey, UpdateFunc: func(_, o any) { sliceKey(o) }, DeleteFunc: sliceKey})
	go func() {
		if !cache.WaitForCacheSync(n.stopped, svcInf.HasSynced, sliceInf.HasSynced) {
			return
		}
		n.wakeHosts()
		for n.work() {
		}
	}()
	go n.hostsLoop()
	return nil
}

func (n *svcNet) work() bool {
	key, quit := n.queue.Get()
	if quit {
		return false
	}
	defer n.queue.Done(key)
	if retry := n.reconcile(key); retry {
		n.queue.AddRateLimited(key)
	} else {
		n.queue.Forget(key)
	}
	return true
}

// podsChanged: a pod the runner runs started or stopped; its endpoints may now (not) be served.
func (n *svcNet) podsChanged(ns string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, sp := range n.proxies {
		if sp.ns == ns {
			n.queue.Add(k)
		}
	}
}

// loopback is the address standing in for the Service's ClusterIP, "" when it has none
// (headless, ExternalName, IPv6-only).
func (n *svcNet) loopback(svc *corev1.Service) string {
	ip := net.ParseIP(svc.Spec.ClusterIP).To4()
	if ip == nil {
		return ""
	}
	return fmt.Sprintf("127.%d.%d.%d", n.octet, ip[2], ip[3])
}

// reconcile brings one Service's listeners in line with the API; true asks for a retry.
func (n *svcNet) reconcile(key string) bool {
	ns, name, _ := strings.Cut(key, "/")
	n.mu.Lock()
	defer n.mu.Unlock()
	svc, err := n.svcs.Services(ns).Get(name)
	ip := ""
	// default/kubernetes is left out: its endpoints are not kept here (--endpoint-reconciler-type
	// none), pods that talk to the API server get a kubeconfig, and every test bed has one.
	if err == nil && key != "default/kubernetes" {
		ip = n.loopback(svc)
	}
	sp := n.proxies[key]
	if ip == "" {
		if sp != nil {
			sp.close()
			delete(n.proxies, key)
			n.wakeHosts()
		}
		return false
	}
	if sp != nil && sp.ip != ip {
		sp.close()
		sp = nil
	}
	if sp == nil {
		sp = &svcProxy{ns: ns, name: name, ip: ip, ports: map[string]*portProxy{}}
		n.proxies[key] = sp
		n.wakeHosts()
	}
	stick := time.Duration(0)
	if svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		stick = 3 * time.Hour
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			stick = time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
		}
	}
	slices, _ := n.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name}))
	want := map[string]corev1.ServicePort{}
	for _, p := range svc.Spec.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			want["TCP/"+strconv.Itoa(int(p.Port))] = p
		}
	}
	for k, pp := range sp.ports {
		if _, ok := want[k]; !ok {
			pp.close()
			delete(sp.ports, k)
		}
	}
	retry := false
	for k, p := range want {
		pp := sp.ports[k]
		if pp == nil {
			pp = &portProxy{n: n, svcKey: key, addr: net.JoinHostPort(ip, strconv.Itoa(int(p.Port))), sticky: map[string]stickyChoice{}}
			sp.ports[k] = pp
		}
		if !pp.set(n.backends(p, slices), stick) {
			retry = true
		}
	}
	return retry
}

// backends are the Service port's Ready endpoints this machine can reach: pods the runner runs
// (their container port mapped to its local port when dialled) and address-only endpoints on
// loopback (a selector-less Service pointed at a process of this machine). Endpoints of pods
// kwok only pretends to run lead nowhere, and are left out.
func (n *svcNet) backends(p corev1.ServicePort, slices []*discoveryv1.EndpointSlice) []backend {
	var out []backend
	seen := map[string]bool{}
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		for _, sp := range s.Ports {
			name := ""
			if sp.Name != nil {
				name = *sp.Name
			}
			proto := corev1.ProtocolTCP
			if sp.Protocol != nil {
				proto = *sp.Protocol
			}
			if name != p.Name || proto != corev1.ProtocolTCP || sp.Port == nil {
				continue
			}
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
					continue
				}
				var b backend
				switch {
				case ep.TargetRef != nil && ep.TargetRef.Kind == "Pod":
					if _, ok := n.r.localPort(ep.TargetRef.UID, *sp.Port); !ok {
						continue
					}
					b = backend{uid: ep.TargetRef.UID, port: *sp.Port}
				case len(ep.Addresses) > 0 && net.ParseIP(ep.Addresses[0]).IsLoopback():
					b = backend{addr: ep.Addresses[0], port: *sp.Port}
				default:
					continue
				}
				if !seen[b.key()] {
					seen[b.key()] = true
					out = append(out, b)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// localPort is the local port of a container port of a pod the runner runs.
func (r *runner) localPort(uid types.UID, containerPort int32) (int32, bool) {
	r.mu.Lock()
	pr := r.pods[uid]
	r.mu.Unlock()
	if pr == nil {
		return 0, false
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	lp, ok := pr.ports[containerPort]
	return lp, ok
}

func (sp *svcProxy) close() {
	for _, pp := range sp.ports {
		pp.close()
	}
}

// set takes the port's new endpoints: listen while there is one, stop listening when there is
// none. false when the listener could not be opened (retried).
func (pp *portProxy) set(list []backend, stick time.Duration) bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	pp.list, pp.stickTo = list, stick
	if len(list) == 0 {
		if pp.ln != nil {
			_ = pp.ln.Close()
			pp.ln = nil
			klog.V(2).Infof("service %s (%s): no Ready endpoint; connections refused", pp.svcKey, pp.addr)
		}
		return true
	}
	if pp.ln != nil {
		return true
	}
	ln, err := net.Listen("tcp", pp.addr)
	if err != nil {
		if msg := err.Error(); msg != pp.lnErr {
			pp.lnErr = msg
			klog.Errorf("service %s: cannot listen on %s: %v (connections to the Service fail until it can)", pp.svcKey, pp.addr, err)
		}
		return false
	}
	pp.lnErr = ""
	pp.ln = ln
	klog.V(2).Infof("service %s: listening on %s (%d endpoints)", pp.svcKey, pp.addr, len(list))
	go pp.accept(ln)
	return true
}

func (pp *portProxy) close() {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.ln != nil {
		_ = pp.ln.Close()
		pp.ln = nil
	}
	pp.list = nil
}

func (pp *portProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go pp.serve(c)
	}
}

// pick chooses the connection's endpoint and its dial address: round-robin, or the client's
// previous one under session affinity.
func (pp *portProxy) pick(client string) (string, bool) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	dial := func(b backend) (string, bool) {
		if b.uid == "" {
			return net.JoinHostPort(b.addr, strconv.Itoa(int(b.port))), true
		}
		lp, ok := pp.n.r.localPort(b.uid, b.port)
		return "127.0.0.1:" + strconv.Itoa(int(lp)), ok
	}
	now := time.Now()
	if pp.stickTo > 0 {
		if s, ok := pp.sticky[client]; ok && now.Sub(s.last) < pp.stickTo {
			for _, b := range pp.list {
				if b.key() == s.key {
					if a, ok := dial(b); ok {
						pp.sticky[client] = stickyChoice{key: s.key, last: now}
						return a, true
					}
				}
			}
		}
	}
	for range pp.list {
		b := pp.list[pp.next%len(pp.list)]
		pp.next++
		if a, ok := dial(b); ok {
			if pp.stickTo > 0 {
				pp.sticky[client] = stickyChoice{key: b.key(), last: now}
			}
			return a, true
		}
	}
	return "", false
}

func (pp *portProxy) serve(c net.Conn) {
	client, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	addr, ok := pp.pick(client)
	if !ok {
		reset(c)
		return
	}
	up, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		// The endpoint is listed but its process does not answer (it just exited): as a packet
		// to a pod that is gone, the client's connection is reset.
		klog.V(2).Infof("service %s: endpoint %s: %v", pp.svcKey, addr, err)
		reset(c)
		return
	}
	splice(c, up)
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// splice copies both ways, passing half-closes on, until both directions are done (or one fails).
func splice(a, b net.Conn) {
	done := make(chan error, 2)
	cp := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok && err == nil {
			_ = tc.CloseWrite()
		}
		done <- err
	}
	go cp(a, b)
	go cp(b, a)
	if err := <-done; err != nil {
		reset(a)
		reset(b)
	}
	<-done
	_ = a.Close()
	_ = b.Close()
}

func (n *svcNet) wakeHosts() {
	select {
	case n.hostsWake <- struct{}{}:
	default:
	}
}

// hostsLoop writes the hosts block when the Services change (changes within 50 ms are written
// together).
func (n *svcNet) hostsLoop() {
	defer close(n.hostsStopped)
	for {
		select {
		case <-n.stopped:
			return
		case <-n.hostsWake:
		}
		select {
		case <-n.stopped:
			return
		case <-time.After(50 * time.Millisecond):
		}
		n.writeHosts()
	}
}

func (n *svcNet) entries() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var lines []string
	for _, sp := range n.proxies {
		lines = append(lines, fmt.Sprintf("%s %s.%s.svc.cluster.local %s.%s.svc", sp.ip, sp.name, sp.ns, sp.name, sp.ns))
	}
	sort.Strings(lines)
	return lines
}

func (n *svcNet) writeHosts() {
	if n.hostsFile == "" {
		n.setProblem("names are off (the runner was started with --hosts-file=\"\")")
		return
	}
	lines := n.entries()
	meta := fmt.Sprintf("loopback %s, pod runner pid %d; written by the kaos test bed, removed by test/cluster/down", n.loopbackPrefix(), os.Getpid())
	others, err := hostsblock.Update(n.hostsFile, filepath.Join(n.lockDir, "hosts.lock"), n.owner, meta, lines, false, n.stale)
	if err != nil {
		n.setProblem(fmt.Sprintf("%v; Service names do not resolve on this machine (the runner writes them into %s, which needs root; ClusterIP a.b.X.Y is still served on 127.%d.X.Y)", err, n.hostsFile, n.octet))
		return
	}
	n.setProblem("")
	n.warnClashes(lines, others)
}

// stale: a block whose test bed's runner is gone (its loopback claim is free).
func (n *svcNet) stale(b hostsblock.Block) bool {
	var o int
	if _, err := fmt.Sscanf(b.Meta, "loopback 127.%d.", &o); err != nil || o == n.octet {
		return false
	}
	if !hostsblock.Held(n.claimPath(o)) {
		klog.Infof("hosts: dropping the block of %s (its test bed's runner is gone)", b.Owner)
		return true
	}
	return false
}

// warnClashes: a name another live test bed also has resolves to whichever block comes first.
func (n *svcNet) warnClashes(lines []string, others []hostsblock.Block) {
	mine := map[string]bool{}
	for _, l := range lines {
		for _, f := range strings.Fields(l)[1:] {
			mine[f] = true
		}
	}
	for _, b := range others {
		for _, l := range b.Lines {
			fs := strings.Fields(l)
			for _, f := range fs[min(1, len(fs)):] {
				if mine[f] && !n.clashWarned[f] {
					n.clashWarned[f] = true
					klog.Warningf("hosts: %s is also a Service of the test bed %s; on this machine it resolves to whichever block comes first (use other namespace names)", f, b.Owner)
				}
			}
		}
	}
}

func (n *svcNet) setProblem(p string) {
	if p == n.problem && fileExists(n.statusFile) {
		return
	}
	if p != n.problem && p != "" {
		klog.Errorf("service networking: %s", p)
	}
	n.problem = p
	st := svcNetStatus{Loopback: n.loopbackPrefix(), HostsFile: n.hostsFile, Names: p == "", Problem: p}
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := n.statusFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err == nil {
		_ = os.Rename(tmp, n.statusFile)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// stop closes every listener, removes the hosts block and the status, and frees the octet.
func (n *svcNet) stop() {
	if n == nil || n.claim == nil {
		return
	}
	close(n.stopped)
	n.queue.ShutDown()
	<-n.hostsStopped
	n.mu.Lock()
	for _, sp := range n.proxies {
		sp.close()
	}
	n.mu.Unlock()
	if n.hostsFile != "" {
		if _, err := hostsblock.Update(n.hostsFile, filepath.Join(n.lockDir, "hosts.lock"), n.owner, "", nil, true, nil); err != nil && n.problem == "" {
			klog.Errorf("hosts: removing the block: %v", err)
		}
	}
	_ = os.Remove(n.statusFile)
	_ = n.claim.Close()
}

// svcnetCleanMain is `pod-runner svcnet-clean --state-dir DIR`: removes the hosts block of the
// test bed whose runner used DIR (test/cluster/down runs it, for a runner that was killed).
func svcnetCleanMain(args []string) int {
	var stateDir, hostsFile string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--state-dir" && i+1 < len(args):
			stateDir = args[i+1]
			i++
		case args[i] == "--hosts-file" && i+1 < len(args):
			hostsFile = args[i+1]
			i++
		case strings.HasPrefix(args[i], "--state-dir="):
			stateDir = strings.TrimPrefix(args[i], "--state-dir=")
		case strings.HasPrefix(args[i], "--hosts-file="):
			hostsFile = strings.TrimPrefix(args[i], "--hosts-file=")
		default:
			fmt.Fprintf(os.Stderr, "svcnet-clean: unknown argument %s (use --state-dir DIR [--hosts-file FILE])\n", args[i])
			return 2
		}
	}
	if stateDir == "" {
		fmt.Fprintln(os.Stderr, "svcnet-clean: --state-dir is required")
		return 2
	}
	if hostsFile == "" {
		// the file the runner wrote to, when it was killed before it could clean up
		var st svcNetStatus
		if b, err := os.ReadFile(filepath.Join(stateDir, "svcnet.json")); err == nil && json.Unmarshal(b, &st) == nil {
			hostsFile = st.HostsFile
		}
	}
	if hostsFile == "" {
		hostsFile = "/etc/hosts"
	}
	owner, _ := filepath.Abs(stateDir)
	raw, err := os.ReadFile(hostsFile)
	if err != nil {
		return 0
	}
	if _, blocks := hostsblock.Parse(string(raw)); !hasOwner(blocks, owner) {
		return 0
	}
	if _, err := hostsblock.Update(hostsFile, filepath.Join(svcLockDirName, "hosts.lock"), owner, "", nil, true, nil); err != nil {
		fmt.Fprintf(os.Stderr, "svcnet-clean: %v\n", err)
		return 1
	}
	_ = os.Remove(filepath.Join(stateDir, "svcnet.json"))
	return 0
}

func hasOwner(blocks []hostsblock.Block, owner string) bool {
	for _, b := range blocks {
		if b.Owner == owner {
			return true
		}
	}
	return false
}
