// Package hostsblock keeps one test bed's block of lines in a hosts file (/etc/hosts) that other
// test beds and other programs also write: the block is delimited by marker comments naming its
// owner (the test bed's state dir), every change is a read-modify-write under an exclusive file
// lock, and the new file replaces the old one by rename, so a reader never sees half a file.
package hostsblock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	beginMark = "# >>> kaos-testbed services: "
	endMark   = "# <<< kaos-testbed services: "
)

// Block is one owner's block as found in the file.
type Block struct {
	Owner string
	// Meta is the block's first comment line after the begin marker (without "# "), where the
	// owner says what it needs others to know (e.g. its loopback prefix).
	Meta  string
	Lines []string
}

// Parse splits a hosts file into the lines outside any block and the blocks, in order. A block
// whose end marker is missing runs to the end of the file (a crash mid-write cannot happen, since
// files are replaced whole, but a person may have cut one short).
func Parse(text string) (outside []string, blocks []Block) {
	var cur *Block
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, beginMark):
			blocks = append(blocks, Block{Owner: strings.TrimSpace(strings.TrimPrefix(line, beginMark))})
			cur = &blocks[len(blocks)-1]
		case cur != nil && line == endMark+cur.Owner:
			cur = nil
		case cur != nil:
			if cur.Meta == "" && len(cur.Lines) == 0 && strings.HasPrefix(line, "# ") {
				cur.Meta = strings.TrimPrefix(line, "# ")
			} else {
				cur.Lines = append(cur.Lines, line)
			}
		default:
			outside = append(outside, line)
		}
	}
	return outside, blocks
}

// Render is the file's text: the outside lines, then each block.
func Render(outside []string, blocks []Block) string {
	var b strings.Builder
	for _, l := range outside {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for _, bl := range blocks {
		b.WriteString(beginMark + bl.Owner + "\n")
		if bl.Meta != "" {
			b.WriteString("# " + bl.Meta + "\n")
		}
		for _, l := range bl.Lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		b.WriteString(endMark + bl.Owner + "\n")
	}
	return b.String()
}

// Update sets owner's block to meta and lines (remove: drop it), and drops every other block for
// which stale returns true (blocks of test beds that died without cleaning up). It holds an
// exclusive flock on lockFile meanwhile, and leaves the file unchanged when nothing changes.
// It returns the blocks of the other owners as they are now.
func Update(file, lockFile, owner, meta string, lines []string, remove bool, stale func(Block) bool) ([]Block, error) {
	unlock, err := Lock(lockFile)
	if err != nil {
		return nil, err
	}
	defer unlock()
	raw, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	outside, blocks := Parse(string(raw))
	var kept, others []Block
	for _, b := range blocks {
		if b.Owner == owner {
			continue
		}
		if stale != nil && stale(b) {
			continue
		}
		kept = append(kept, b)
		others = append(others, b)
	}
	if !remove {
		kept = append(kept, Block{Owner: owner, Meta: meta, Lines: lines})
	}
	// Outside lines keep their place; trailing empty lines between them and the blocks do not
	// grow with every rewrite.
	for len(outside) > 0 && outside[len(outside)-1] == "" && len(kept) > 0 {
		outside = outside[:len(outside)-1]
	}
	text := Render(outside, kept)
	if text == string(raw) {
		return others, nil
	}
	if err := writeAtomic(file, []byte(text)); err != nil {
		// The same failure reads the same every time (no temporary file names), so callers can
		// report it once.
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return others, &os.PathError{Op: "write", Path: file, Err: errno}
		}
		return others, err
	}
	return others, nil
}

// writeAtomic replaces file by a new one with the same mode, through a temporary file in the same
// directory and a rename. Where the file cannot be replaced (a bind mount, as container runtimes
// make /etc/hosts), it is rewritten in place in one write.
func writeAtomic(file string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(file); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".kaos-testbed-*")
	if err == nil {
		name := tmp.Name()
		_, werr := tmp.Write(data)
		if werr == nil {
			werr = tmp.Chmod(mode)
		}
		if werr == nil {
			werr = tmp.Sync()
		}
		cerr := tmp.Close()
		if werr == nil && cerr == nil {
			if err = os.Rename(name, file); err == nil {
				return nil
			}
		} else {
			err = werr
			if err == nil {
				err = cerr
			}
		}
		_ = os.Remove(name)
		// EBUSY/EXDEV: a mount point; fall through to the in-place write.
		if !isMountError(err) {
			return err
		}
	} else if !os.IsPermission(err) && !isMountError(err) {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, mode)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	return cerr
}

func isMountError(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == syscall.EBUSY || errno == syscall.EXDEV)
}

// Lock takes an exclusive flock on path (created if needed) and returns its release.
func Lock(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Claim holds an exclusive flock on path for as long as the returned file stays open (the
// process's lifetime, unless released). ok is false when another process holds it.
func Claim(path, note string) (f *os.File, ok bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, err
	}
	f, err = os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, false, nil
		}
		return nil, false, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(note+"\n"), 0)
	return f, true, nil
}

// Held reports whether some process holds the claim at path (a missing file: nobody).
func Held(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err == syscall.EWOULDBLOCK
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
