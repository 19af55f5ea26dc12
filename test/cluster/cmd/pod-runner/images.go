package main

// Images, like a kubelet: a container runs only when its node could have the image. The runner
// cannot pull anything, so for images a registry could serve it keeps running what it knows. But
// no registry serves kaos.local (kaos's own images until one is chosen): such an image is there
// only if `kind load` put it on the node (test/cluster/bin/kind records it in the node's
// status.images). Without it the container waits in ErrImagePull / ImagePullBackOff with
// containerd's message, and starts once the image shows up. imagePullPolicy Never works the same
// for any image (ErrImageNeverPull).

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"kaos.tools/testbed/internal/imageref"
)

// localOnlyHost is the registry host kaos names its own images under until a registry is chosen.
const localOnlyHost = "kaos.local"

// localOnly: the container's image can only come from the node (or, for Always, never).
func localOnly(c corev1.Container) bool {
	if testImages.MatchString(c.Image) {
		return false
	}
	return imageref.Host(c.Image) == localOnlyHost || c.ImagePullPolicy == corev1.PullNever
}

// onNode: the node's status.images lists the image (as kubelet names it).
func (r *runner) onNode(node, image string) bool {
	n, err := r.nodes.Get(node)
	if err != nil {
		return false
	}
	want := imageref.Normalize(image)
	for _, im := range n.Status.Images {
		for _, name := range im.Names {
			if name == image || name == want {
				return true
			}
		}
	}
	return false
}

// imageProblem is why a kubelet would not start the container now ("" when it would), with its
// message.
func (r *runner) imageProblem(c corev1.Container, node string) (reason, msg string) {
	if !localOnly(c) {
		return "", ""
	}
	present := r.onNode(node, c.Image)
	switch c.ImagePullPolicy {
	case corev1.PullNever:
		if !present {
			return "ErrImageNeverPull", fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		}
		return "", ""
	case corev1.PullAlways:
		// kubelet pulls even when the node has it, and kaos.local cannot be pulled
	default:
		if present {
			return "", ""
		}
	}
	host := imageref.Host(c.Image)
	return "ErrImagePull", fmt.Sprintf("rpc error: code = Unknown desc = failed to pull and unpack image %q: failed to resolve reference %q: failed to do request: Head %q: dial tcp: lookup %s: no such host",
		c.Image, c.Image, imageref.ManifestURL(c.Image), host)
}

// Back-off between pull attempts. A kubelet uses 10 s doubling to 5 min; the test bed keeps the
// same states and events on a shorter clock, and also looks again as soon as the node's image
// list changes (what a user waits for after `kind load`).
const (
	pullBackoffFirst = 2 * time.Second
	pullBackoffMax   = 30 * time.Second
	pullFailedShown  = 1500 * time.Millisecond // ErrImagePull before it turns into ImagePullBackOff
)

// awaitImage blocks until the container's image may run on the node, reporting the pull states
// in the container status (set writes them) meanwhile. False when the pod goes away first.
func (pr *podRun) awaitImage(c corev1.Container, set func(reason, msg string)) bool {
	ctx := pr.ctx
	backoff := pullBackoffFirst
	for ctx.Err() == nil {
		reason, msg := pr.r.imageProblem(c, pr.pod.Spec.NodeName)
		if reason == "" {
			if localOnly(c) {
				pr.event(corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image))
			}
			return true
		}
		klog.Infof("%s: container %s: %s", pr.key(), c.Name, reason)
		set(reason, msg)
		if reason == "ErrImageNeverPull" {
			pr.event(corev1.EventTypeWarning, "ErrImageNeverPull", msg)
			pr.event(corev1.EventTypeWarning, "Failed", "Error: ErrImageNeverPull")
		} else {
			pr.event(corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", c.Image))
			pr.event(corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", c.Image, msg))
			pr.event(corev1.EventTypeWarning, "Failed", "Error: ErrImagePull")
			if !pr.sleep(pullFailedShown, c) {
				return false
			}
			if again, _ := pr.r.imageProblem(c, pr.pod.Spec.NodeName); again == "" {
				continue
			}
			set("ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", c.Image, msg))
			pr.event(corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", c.Image))
			pr.event(corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff")
		}
		if !pr.sleep(backoff, c) {
			return false
		}
		backoff = min(backoff*2, pullBackoffMax)
	}
	return false
}

// sleep waits d, or less when the node's image list changes so that c may run; false when the
// pod goes away. (Node updates come often: heartbeats wake it too, and change nothing.)
func (pr *podRun) sleep(d time.Duration, c corev1.Container) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-pr.ctx.Done():
			return false
		case <-t.C:
			return true
		case <-pr.wake():
			if reason, _ := pr.r.imageProblem(c, pr.pod.Spec.NodeName); reason == "" {
				return true
			}
		}
	}
}

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}
