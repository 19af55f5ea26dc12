// Package imageref names container images the way containerd (and so kubelet's node
// status.images) does, for the kind stand-in that records images and the pod runner that checks
// them.
package imageref

import "strings"

// Normalize: docker.io/library/ for a bare name, docker.io/ for a path without a registry host,
// :latest when there is neither tag nor digest.
func Normalize(ref string) string {
	name, digest, _ := strings.Cut(ref, "@")
	first, _, hasSlash := strings.Cut(name, "/")
	switch {
	case !hasSlash:
		name = "docker.io/library/" + name
	case !isHost(first):
		name = "docker.io/" + name
	}
	if digest != "" {
		return name + "@" + digest
	}
	if i := strings.LastIndex(name, ":"); i <= strings.LastIndex(name, "/") {
		name += ":latest"
	}
	return name
}

func isHost(s string) bool { return strings.ContainsAny(s, ".:") || s == "localhost" }

// Host is the registry host of ref without its port ("" for Docker Hub names).
func Host(ref string) string {
	first, _, hasSlash := strings.Cut(ref, "/")
	if !hasSlash || !isHost(first) {
		return ""
	}
	h, _, _ := strings.Cut(first, ":")
	return h
}

// Repo strips the tag (a colon after the last slash) and any digest.
func Repo(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// ManifestURL is where a registry client would look the reference up first.
func ManifestURL(ref string) string {
	n := Normalize(ref)
	host, path, _ := strings.Cut(n, "/")
	repo := Repo(path)
	ver := strings.TrimPrefix(path[len(repo):], ":")
	ver = strings.TrimPrefix(ver, "@")
	if host == "docker.io" {
		host = "registry-1.docker.io"
	}
	return "https://" + host + "/v2/" + repo + "/manifests/" + ver
}
