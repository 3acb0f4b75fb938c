// Package release checks what ships: the archives, checksums and Homebrew
// cask that `make snapshot` (GoReleaser) leaves in dist/, and the RBAC
// recipes of docs/rbac.md against a real API server.
//
// The archive checks need a dist/ from `make snapshot`, which takes several
// minutes, so `make test` does not build one: without dist/ they skip,
// unless K9S_GUARD_RELEASE_TEST=1 (set by `make snapshot`) makes a missing
// dist/ a failure. K9S_GUARD_DIST points them at another dist/, which must
// be a build of a commit of this checkout: the archives are dated by it.
package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// targets are the platforms every release ships.
var targets = []struct{ os, arch string }{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"},
}

// archiveFiles must be in every archive, besides nothing else that matters.
var archiveFiles = []string{
	"k9s-guard",
	"README.md",
	"LICENSE",
	"completions/k9s-guard.bash",
	"completions/_k9s-guard",
	"completions/k9s-guard.fish",
	"manpages/k9s-guard.1.gz",
}

func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("K9S_GUARD_DIST")
	if dir == "" {
		dir = filepath.Join("..", "..", "dist")
	}
	if _, err := os.Stat(filepath.Join(dir, "checksums.txt")); err != nil {
		if os.Getenv("K9S_GUARD_RELEASE_TEST") == "1" {
			t.Fatalf("no release in %s (run `make snapshot`): %v", dir, err)
		}
		t.Skipf("no release in %s; run `make snapshot` to build and check one", dir)
	}
	return dir
}

// release is one snapshot: its version and its archives by target.
type release struct {
	dir      string
	version  string
	archives map[string]string // "linux_amd64" -> path
	sums     map[string]string // file name -> sha256
}

func loadRelease(t *testing.T) release {
	t.Helper()
	r := release{dir: distDir(t), archives: map[string]string{}, sums: map[string]string{}}
	f, err := os.Open(filepath.Join(r.dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt: bad line %q", sc.Text())
		}
		r.sums[name] = sum
	}
	re := regexp.MustCompile(`^k9s-guard_(.+)_(linux|darwin)_(amd64|arm64)\.tar\.gz$`)
	for name := range r.sums {
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if r.version != "" && r.version != m[1] {
			t.Fatalf("archives of two versions in dist/: %s and %s", r.version, m[1])
		}
		r.version = m[1]
		r.archives[m[2]+"_"+m[3]] = filepath.Join(r.dir, name)
	}
	for _, tg := range targets {
		if r.archives[tg.os+"_"+tg.arch] == "" {
			t.Errorf("no %s/%s archive in checksums.txt", tg.os, tg.arch)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return r
}

// readArchive returns the regular files of a .tar.gz by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files, _ := readArchiveHeaders(t, path)
	return files
}

// readArchiveHeaders returns the regular files of a .tar.gz by name, and
// the header of every entry (directories included) in archive order.
func readArchiveHeaders(t *testing.T, path string) (map[string][]byte, []*tar.Header) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	files := map[string][]byte{}
	var headers []*tar.Header
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		headers = append(headers, h)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		files[name] = b
		if name == "k9s-guard" && h.Mode&0o111 == 0 {
			t.Errorf("%s: the binary is not executable (mode %o)", path, h.Mode)
		}
	}
	return files, headers
}

// commitTimes are the committer times of this checkout's history, HEAD's
// first.
func commitTimes(t *testing.T) []time.Time {
	t.Helper()
	out, err := exec.Command("git", "-C", filepath.Join("..", ".."), "log", "--format=%ct").Output()
	if err != nil {
		t.Fatalf("git log: %v", err)
	}
	var times []time.Time
	for _, f := range strings.Fields(string(out)) {
		secs, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("git log: %q: %v", f, err)
		}
		times = append(times, time.Unix(secs, 0))
	}
	if len(times) == 0 {
		t.Fatal("git log: no commits")
	}
	return times
}

// releaseDate checks that every entry of an archive carries one mtime, the
// time of the commit it was built from, and returns it. That commit is
// HEAD, unless commits were made since the build: then it must be an
// earlier commit of this history. A build time, a checkout time or the
// year 1 (GoReleaser's .CommitDate when it cannot read the repository) is
// none of these.
func releaseDate(t *testing.T, headers []*tar.Header) time.Time {
	t.Helper()
	if len(headers) == 0 {
		t.Fatal("empty archive")
	}
	date := headers[0].ModTime
	for _, h := range headers[1:] {
		if !h.ModTime.Equal(date) {
			t.Errorf("%s: mtime %v, but %s: %v; every entry should carry the commit's time", h.Name, h.ModTime.UTC(), headers[0].Name, date.UTC())
		}
	}
	times := commitTimes(t)
	switch {
	case times[0].Equal(date):
	case slices.ContainsFunc(times, date.Equal):
		t.Logf("archives dated %v, an earlier commit than HEAD (%v): dist/ was built before the latest commit", date.UTC(), times[0].UTC())
	default:
		t.Errorf("archive entries dated %v: not the time of HEAD (%v) nor of any earlier commit", date.UTC(), times[0].UTC())
	}
	return date
}

// gunzipManPage returns the roff of a gzipped man page, and fails unless
// the gzip header is free of build-time details (gzip -n).
func gunzipManPage(t *testing.T, gz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("man page: %v", err)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("man page: %v", err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("man page gzip header carries time %v and name %q; gzip -n leaves both out", zr.ModTime, zr.Name)
	}
	return page
}

// TestReleaseArchives: each of the four archives matches its checksum and
// holds the binary built for its own platform, README, LICENSE, the three
// completion scripts and the man page, titled with the release's version
// and dated by the commit.
func TestReleaseArchives(t *testing.T) {
	r := loadRelease(t)
	for _, tg := range targets {
		path := r.archives[tg.os+"_"+tg.arch]
		t.Run(tg.os+"_"+tg.arch, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			if got, want := hex.EncodeToString(sum[:]), r.sums[filepath.Base(path)]; got != want {
				t.Errorf("sha256 %s, checksums.txt says %s", got, want)
			}
			files, headers := readArchiveHeaders(t, path)
			for _, name := range archiveFiles {
				if len(files[name]) == 0 {
					t.Errorf("missing or empty: %s", name)
				}
			}
			if t.Failed() {
				return
			}
			checkPlatform(t, files["k9s-guard"], tg.os, tg.arch)
			if !bytes.Contains(files["LICENSE"], []byte("Apache License")) {
				t.Error("LICENSE is not the Apache License")
			}
			page := gunzipManPage(t, files["manpages/k9s-guard.1.gz"])
			if !bytes.Contains(page, []byte(`.TH "K9S-GUARD" "1"`)) || !bytes.Contains(page, []byte("otp enroll")) {
				t.Errorf("man page is not k9s-guard(1):\n%.300s", page)
			}
			// The title line: name, section, date, source (with the version).
			th := regexp.MustCompile(`(?m)^\.TH "K9S-GUARD" "1" "([^"]*)" "([^"]*)"`).FindSubmatch(page)
			if th == nil {
				t.Fatalf("man page has no title line:\n%.300s", page)
			}
			if got, want := string(th[2]), "k9s-guard "+r.version; got != want {
				t.Errorf("man page says %q, want %q: the page was built without the release's version stamp", got, want)
			}
			if got, want := string(th[1]), releaseDate(t, headers).UTC().Format("2006-01-02"); got != want {
				t.Errorf("man page dated %s, want the commit's date %s (SOURCE_DATE_EPOCH)", got, want)
			}
		})
	}
}

// TestReleaseReproducible: nothing of the build machine or the build time
// is in an archive. Every entry is dated by the commit (the same in all
// four archives) and owned by
// root:root with a fixed mode, and the archive's gzip header has no time
// or name (the man page's is checked by TestReleaseArchives); the binary
// itself is reproducible through -trimpath. So a second build of the same
// commit gives the same bytes, and the same checksums.txt.
func TestReleaseReproducible(t *testing.T) {
	r := loadRelease(t)
	dates := map[string]time.Time{}
	for _, tg := range targets {
		path := r.archives[tg.os+"_"+tg.arch]
		t.Run(tg.os+"_"+tg.arch, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if !zr.ModTime.IsZero() || zr.Name != "" {
				t.Errorf("archive gzip header carries time %v and name %q", zr.ModTime, zr.Name)
			}
			_, headers := readArchiveHeaders(t, path)
			dates[tg.os+"_"+tg.arch] = releaseDate(t, headers)
			var names []string
			for _, h := range headers {
				names = append(names, h.Name)
				if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
					t.Errorf("%s: owner %d/%q group %d/%q, want root:root", h.Name, h.Uid, h.Uname, h.Gid, h.Gname)
				}
				want := int64(0o644)
				if h.Typeflag == tar.TypeDir || strings.TrimPrefix(h.Name, "./") == "k9s-guard" {
					want = 0o755
				}
				if h.Mode&0o7777 != want {
					t.Errorf("%s: mode %o, want %o", h.Name, h.Mode&0o7777, want)
				}
			}
			// Only the files that ship: a directory entry or a stray file
			// would be one more place for a build-time detail.
			slices.Sort(names)
			want := slices.Sorted(slices.Values(archiveFiles))
			if !slices.Equal(names, want) {
				t.Errorf("entries %q, want exactly %q", names, want)
			}
		})
	}
	for k, d := range dates {
		if first := dates["linux_amd64"]; !d.Equal(first) {
			t.Errorf("%s archive dated %v, linux_amd64 %v: one release, one commit", k, d.UTC(), first.UTC())
		}
	}
}

// checkPlatform reads the executable's header: a darwin/arm64 archive
// holding a linux/amd64 binary would otherwise pass every name check.
func checkPlatform(t *testing.T, bin []byte, goos, goarch string) {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("not an ELF executable: %v", err)
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			t.Errorf("ELF machine %v, want %v", f.Machine, want)
		}
		// CGO off: a static binary has no interpreter.
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("dynamically linked (has PT_INTERP); CGO_ENABLED=0 should give a static binary")
			}
		}
	case "darwin":
		f, err := macho.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("not a Mach-O executable: %v", err)
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want {
			t.Errorf("Mach-O cpu %v, want %v", f.Cpu, want)
		}
	}
}

// TestReleaseBinaryRuns runs the binary from the archive for this machine:
// the version is the stamped one, --help and the completion scripts work,
// and what `completion bash` and `man` print is what the archive ships.
func TestReleaseBinaryRuns(t *testing.T) {
	r := loadRelease(t)
	key := runtime.GOOS + "_" + runtime.GOARCH
	path, ok := r.archives[key]
	if !ok {
		t.Skipf("no archive for this machine (%s)", key)
	}
	files, headers := readArchiveHeaders(t, path)
	bin := filepath.Join(t.TempDir(), "k9s-guard")
	if err := os.WriteFile(bin, files["k9s-guard"], 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	var extraEnv []string
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		// A clean user: no profile, no K9s, so nothing is launched.
		cmd.Env = append([]string{"HOME=" + home, "PATH=/usr/bin:/bin", "K9S_GUARD_K9S=/nonexistent/k9s", "TERM=dumb"}, extraEnv...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("k9s-guard %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}

	if out := run("version"); !strings.HasPrefix(out, "k9s-guard "+r.version+"\n") {
		t.Errorf("version: %q, want the stamped version %s first", out, r.version)
	}
	if out := run("--version"); out != "k9s-guard "+r.version+"\n" {
		t.Errorf("--version: %q", out)
	}
	help := run("--help")
	for _, want := range []string{"Usage:", "k9s-guard", "init", "otp", "doctor", "audit", "completion", "Examples:"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, " man ") {
		t.Errorf("--help lists the hidden man command:\n%s", help)
	}
	if out := run("completion", "bash"); out != string(files["completions/k9s-guard.bash"]) {
		t.Errorf("completion bash differs from the archive's completions/k9s-guard.bash (%d vs %d bytes)", len(out), len(files["completions/k9s-guard.bash"]))
	} else if !strings.Contains(out, "__start_k9s-guard") {
		t.Errorf("completion bash is not a bash completion script:\n%.300s", out)
	}
	// What the script calls on Tab must be answered by k9s-guard, not
	// handed to K9s as a command line.
	if out := run("__complete", "otp", ""); !strings.Contains(out, "enroll") || !strings.Contains(out, "status") {
		t.Errorf("__complete otp: %q", out)
	}
	// The shipped page is the one the released binary writes for the
	// commit's date: same version, same text.
	extraEnv = []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(releaseDate(t, headers).Unix(), 10)}
	if out, page := run("man"), gunzipManPage(t, files["manpages/k9s-guard.1.gz"]); out != string(page) {
		t.Errorf("the archive's man page is not what the released binary's `man` prints:\narchive: %.200s\nbinary:  %.200s", page, out)
	}
}

// TestReleaseCask: the Homebrew cask under dist/homebrew covers all four
// archives with their real checksums, installs the completions and the man
// page, smoke-tests the binary after install in a way that fails the
// install (casks have no `test do` block), zaps exactly k9s-guard's own
// directories and tells the user the two set-up commands.
func TestReleaseCask(t *testing.T) {
	r := loadRelease(t)
	b, err := os.ReadFile(filepath.Join(r.dir, "homebrew", "Casks", "k9s-guard.rb"))
	if err != nil {
		t.Fatal(err)
	}
	cask := string(b)
	for _, want := range []string{
		`cask "k9s-guard" do`,
		`binary "k9s-guard"`,
		`manpage "manpages/k9s-guard.1.gz"`,
		`bash_completion "completions/k9s-guard.bash"`,
		`zsh_completion "completions/_k9s-guard"`,
		`fish_completion "completions/k9s-guard.fish"`,
		"on_macos do", "on_linux do", "on_intel do", "on_arm do",
		"com.apple.quarantine",
	} {
		if !strings.Contains(cask, want) {
			t.Errorf("cask lacks %q", want)
		}
	}
	if !regexp.MustCompile(`depends_on formula: (\[\s*)?"k9s"`).MatchString(cask) {
		t.Error("cask does not depend on the k9s formula")
	}
	checkPostflight(t, block(cask, "postflight do"))
	checkZap(t, cask)
	caveats := block(cask, "caveats <<~EOS")
	for _, want := range []string{"k9s-guard init", "k9s-guard otp enroll"} {
		if !strings.Contains(caveats, want) {
			t.Errorf("caveats do not say %q:\n%s", want, caveats)
		}
	}
	if strings.Contains(caveats, "#{") {
		t.Errorf("caveats would interpolate Ruby:\n%s", caveats)
	}
	for _, tg := range targets {
		name := filepath.Base(r.archives[tg.os+"_"+tg.arch])
		if !strings.Contains(cask, `sha256 "`+r.sums[name]+`"`) {
			t.Errorf("cask lacks the sha256 of %s", name)
		}
		url := strings.ReplaceAll(name, r.version, "#{version}")
		if !strings.Contains(cask, "/"+url+`"`) {
			t.Errorf("cask has no url for %s", url)
		}
	}
	if ruby, err := exec.LookPath("ruby"); err == nil {
		if out, err := exec.Command(ruby, "-c", filepath.Join(r.dir, "homebrew", "Casks", "k9s-guard.rb")).CombinedOutput(); err != nil {
			t.Errorf("ruby -c: %v\n%s", err, out)
		}
	}
}

// checkPostflight: the postflight runs the installed binary and fails the
// install when it does not work. In a cask's flight blocks system_command
// is Cask::DSL::Base#system_command, which calls SystemCommand.run! and so
// raises on a non-zero exit; system_command! is not defined there (it is
// SystemCommand::Mixin's, which cask blocks do not include), so using it
// would break every install. A binary that exits 0 but is not this release
// is caught by comparing its --version with the cask's version.
func checkPostflight(t *testing.T, post string) {
	t.Helper()
	if post == "" {
		t.Fatal("cask has no postflight (the smoke test)")
	}
	if strings.Contains(post, "system_command!") {
		t.Errorf("postflight calls system_command!, which a cask block does not define (its system_command already raises):\n%s", post)
	}
	if strings.Contains(post, "must_succeed: false") || strings.Contains(post, "must_succeed:false") {
		t.Errorf("postflight turns off system_command's failure on a non-zero exit:\n%s", post)
	}
	m := regexp.MustCompile(`(?m)^\s*(\w+) = system_command "#\{staged_path\}/k9s-guard", args: \["--version"\]\s*$`).FindStringSubmatch(post)
	if m == nil {
		t.Fatalf("postflight does not run the installed binary's --version and keep the result:\n%s", post)
	}
	check := regexp.MustCompile(`(?m)^\s*unless ` + m[1] + `\.stdout == "k9s-guard #\{version\}\\n"\s*\n\s*raise "[^"\n]*`)
	if !check.MatchString(post) {
		t.Errorf("postflight does not raise when --version is not \"k9s-guard #{version}\":\n%s", post)
	}
}

// checkZap: `brew uninstall --zap` trashes k9s-guard's config, state and
// data directories, as the code names them for a macOS user (XDG_* unset),
// and nothing else: a zap of ~/.config itself would take every other
// program's settings with it.
func checkZap(t *testing.T, cask string) {
	t.Helper()
	const home = "/Users/someone"
	env := map[string]string{"HOME": home}
	getenv := func(k string) string { return env[k] }
	var want []string
	for _, file := range []string{
		profile.DefaultPath(getenv),
		audit.DefaultPath(getenv),
		otp.DefaultStatePath(getenv),
		otp.DefaultSecretFile(getenv),
	} {
		dir := filepath.Dir(file)
		if filepath.Base(dir) != "k9s-guard" || !strings.HasPrefix(dir, home+"/") {
			t.Fatalf("default file %s is not in a k9s-guard directory under HOME; the zap stanza needs rethinking", file)
		}
		if dir := "~" + strings.TrimPrefix(dir, home); !slices.Contains(want, dir) {
			want = append(want, dir)
		}
	}
	m := regexp.MustCompile(`(?s)\n  zap trash: \[\n(.*?)\n\s*\]\n`).FindStringSubmatch(cask)
	if m == nil {
		t.Fatalf("cask has no `zap trash:` stanza (want %q)", want)
	}
	var got []string
	for _, l := range strings.Split(m[1], "\n") {
		item := regexp.MustCompile(`^\s*"([^"]+)",?$`).FindStringSubmatch(l)
		if item == nil {
			t.Fatalf("zap: cannot read line %q", l)
		}
		got = append(got, item[1])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("zap trash: %q, want %q (the code's default directories)", got, want)
	}
}

// block returns the lines from the one starting with head to its matching
// end (by indentation), or "" when there is none.
func block(text, head string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != head {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		end := strings.Repeat(" ", indent) + "end"
		if strings.HasPrefix(head, "caveats") {
			end = strings.Repeat(" ", indent) + "EOS"
		}
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == end || strings.TrimSpace(lines[j]) == "EOS" && strings.HasPrefix(head, "caveats") {
				return strings.Join(lines[i:j+1], "\n")
			}
		}
		return fmt.Sprintf("(unterminated)\n%s", strings.Join(lines[i:], "\n"))
	}
	return ""
}
