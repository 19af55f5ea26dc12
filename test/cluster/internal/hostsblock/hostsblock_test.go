package hostsblock

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const base = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n\n# a comment someone wrote\n10.0.0.5 db.internal\n"

func setup(t *testing.T) (file, lock string) {
	t.Helper()
	dir := t.TempDir()
	file = filepath.Join(dir, "hosts")
	if err := os.WriteFile(file, []byte(base), 0o640); err != nil {
		t.Fatal(err)
	}
	return file, filepath.Join(dir, "hosts.lock")
}

func read(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAddReplaceRemoveKeepsTheRest(t *testing.T) {
	file, lock := setup(t)
	if _, err := Update(file, lock, "/beds/a", "loopback 127.96.0.0/16", []string{"127.96.0.10 items.shop.svc.cluster.local items.shop.svc"}, false, nil); err != nil {
		t.Fatal(err)
	}
	got := read(t, file)
	want := base + "# >>> kaos-testbed services: /beds/a\n# loopback 127.96.0.0/16\n127.96.0.10 items.shop.svc.cluster.local items.shop.svc\n# <<< kaos-testbed services: /beds/a\n"
	if got != want {
		t.Fatalf("after add:\n%s\nwant:\n%s", got, want)
	}
	st, _ := os.Stat(file)
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("mode changed to %v", st.Mode().Perm())
	}
	// a second bed's block goes after it; replacing the first keeps the second
	if _, err := Update(file, lock, "/beds/b c", "loopback 127.97.0.0/16", []string{"127.97.0.10 items.shop.svc.cluster.local"}, false, nil); err != nil {
		t.Fatal(err)
	}
	others, err := Update(file, lock, "/beds/a", "loopback 127.96.0.0/16", []string{"127.96.0.11 web.x.svc.cluster.local", "127.96.0.12 api.x.svc.cluster.local"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 1 || others[0].Owner != "/beds/b c" || others[0].Meta != "loopback 127.97.0.0/16" {
		t.Fatalf("others = %+v", others)
	}
	outside, blocks := Parse(read(t, file))
	if strings.Join(outside, "\n")+"\n" != strings.TrimRight(base, "\n")+"\n" {
		t.Fatalf("outside lines changed: %q", outside)
	}
	if len(blocks) != 2 || blocks[1].Owner != "/beds/a" || len(blocks[1].Lines) != 2 {
		t.Fatalf("blocks = %+v", blocks)
	}
	// removing both leaves the file as it was
	if _, err := Update(file, lock, "/beds/a", "", nil, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(file, lock, "/beds/b c", "", nil, true, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(t, file); got != strings.TrimRight(base, "\n")+"\n" {
		t.Fatalf("after removing all:\n%q\nwant\n%q", got, base)
	}
}

func TestStaleBlocksAreDropped(t *testing.T) {
	file, lock := setup(t)
	_, _ = Update(file, lock, "/beds/dead", "loopback 127.98.0.0/16", []string{"127.98.0.1 x.y.svc.cluster.local"}, false, nil)
	_, _ = Update(file, lock, "/beds/alive", "loopback 127.99.0.0/16", []string{"127.99.0.1 x.y.svc.cluster.local"}, false, nil)
	others, err := Update(file, lock, "/beds/me", "loopback 127.96.0.0/16", nil, false, func(b Block) bool { return b.Owner == "/beds/dead" })
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 1 || others[0].Owner != "/beds/alive" {
		t.Fatalf("others = %+v", others)
	}
	if strings.Contains(read(t, file), "dead") {
		t.Fatalf("stale block kept:\n%s", read(t, file))
	}
}

func TestUnchangedIsNotRewritten(t *testing.T) {
	file, lock := setup(t)
	_, _ = Update(file, lock, "/beds/a", "m", []string{"127.96.0.1 a.b.svc"}, false, nil)
	st1, _ := os.Stat(file)
	_, _ = Update(file, lock, "/beds/a", "m", []string{"127.96.0.1 a.b.svc"}, false, nil)
	st2, _ := os.Stat(file)
	if !os.SameFile(st1, st2) {
		t.Fatal("an unchanged block replaced the file")
	}
}

// Two writers at once (two test beds' runners) never lose each other's block.
func TestConcurrentOwners(t *testing.T) {
	file, lock := setup(t)
	var wg sync.WaitGroup
	for _, owner := range []string{"/beds/a", "/beds/b", "/beds/c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				if _, err := Update(file, lock, owner, "m", []string{"127.96.0.1 n" + owner}, false, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	_, blocks := Parse(read(t, file))
	if len(blocks) != 3 {
		t.Fatalf("want 3 blocks, got %+v", blocks)
	}
}

func TestClaimAndHeld(t *testing.T) {
	p := filepath.Join(t.TempDir(), "96.lock")
	if Held(p) {
		t.Fatal("missing file held")
	}
	f, ok, err := Claim(p, "me")
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if !Held(p) {
		t.Fatal("claimed file not held")
	}
	if _, ok, _ := Claim(p, "other"); ok {
		t.Fatal("claimed twice")
	}
	f.Close()
	if Held(p) {
		t.Fatal("released file still held")
	}
}

func TestUnwritableFileFailsTheSameWayEachTime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "no-such-dir", "hosts")
	lock := filepath.Join(t.TempDir(), "lock")
	_, err1 := Update(file, lock, "/beds/a", "m", []string{"127.96.0.1 a.b.svc"}, false, nil)
	_, err2 := Update(file, lock, "/beds/a", "m", []string{"127.96.0.2 a.b.svc"}, false, nil)
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("errors %v / %v", err1, err2)
	}
	if !strings.HasPrefix(err1.Error(), "write "+file+": ") {
		t.Fatalf("error %q does not name the file", err1)
	}
}
