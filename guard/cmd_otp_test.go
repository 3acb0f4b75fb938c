package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

const otpCmdSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// otpStdin makes a file holding the given input, standing in for a pipe.
func otpStdin(t *testing.T, h *initHarness, input string) {
	t.Helper()
	p := h.write(t, "stdin", input)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	h.app.Stdin = f
}

func otpHarness(t *testing.T) (*initHarness, string) {
	h := newInitHarness(t)
	h.env["XDG_STATE_HOME"] = filepath.Join(h.dir, "state")
	return h, filepath.Join(h.dir, "secret", "otp.json")
}

func TestOTPImportThenStatus(t *testing.T) {
	h, file := otpHarness(t)
	otpStdin(t, h, "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp\n")
	if code := h.run("otp", "import", "--file", file, "--account", "alice@laptop"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, h.stderr.String())
	}
	if strings.Contains(strings.ToUpper(h.stdout.String()+h.stderr.String()), otpCmdSecret) {
		t.Error("import printed the secret")
	}
	got, err := otp.NewFileStore(file).Load("alice@laptop")
	if err != nil || got != otpCmdSecret {
		t.Fatalf("stored %q, %v", got, err)
	}

	if code := h.run("otp", "status", "--file", file, "--account", "alice@laptop"); code != 0 {
		t.Fatalf("status: exit %d: %s", code, h.stderr.String())
	}
	out := h.stdout.String()
	if !strings.Contains(out, "enrolled for alice@laptop") || !strings.Contains(out, file) {
		t.Errorf("status: %q", out)
	}
	if strings.Contains(out, otpCmdSecret) {
		t.Error("status revealed the secret")
	}

	// The imported secret is the one Verify uses.
	now := time.Now()
	code, _ := totp.GenerateCodeCustom(got, now, otp.ValidateOpts)
	res, err := otp.NewVerifier(got, "", func() time.Time { return now }).Verify(code)
	if err != nil || !res.OK() {
		t.Errorf("imported secret does not verify: %+v, %v", res, err)
	}
}

func TestOTPStatusNotEnrolledExits1(t *testing.T) {
	h, file := otpHarness(t)
	if code := h.run("otp", "status", "--file", file, "--account", "a"); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(h.stdout.String(), "no secret enrolled for a") || h.stderr.Len() != 0 {
		t.Errorf("stdout %q stderr %q", h.stdout.String(), h.stderr.String())
	}
}

func TestOTPImportRefusesToReplace(t *testing.T) {
	h, file := otpHarness(t)
	if err := otp.NewFileStore(file).Save("a", otpCmdSecret); err != nil {
		t.Fatal(err)
	}
	other := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	otpStdin(t, h, other)
	if code := h.run("otp", "import", "--file", file, "--account", "a"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "--replace") {
		t.Errorf("stderr: %s", h.stderr.String())
	}
	if got, _ := otp.NewFileStore(file).Load("a"); got != otpCmdSecret {
		t.Fatal("the enrolled secret was replaced")
	}
	otpStdin(t, h, other)
	if code := h.run("otp", "import", "--file", file, "--account", "a", "--replace"); code != 0 {
		t.Fatalf("--replace: exit %d: %s", code, h.stderr.String())
	}
	if got, _ := otp.NewFileStore(file).Load("a"); got != other {
		t.Errorf("after --replace: %q", got)
	}
}

func TestOTPImportValidatesWithoutEchoing(t *testing.T) {
	cases := map[string]string{
		"NOTBASE32!!NOTBASE32!!NOTBASE32": "not valid base32",
		"JBSWY3DPEHPK3PXP":                "at least 128",
		"otpauth://totp/x:a?secret=" + otpCmdSecret + "&algorithm=SHA256": "SHA1",
		"otpauth://totp/x:a?secret=" + otpCmdSecret + "&digits=8":         "6-digit",
		"otpauth://hotp/x:a?secret=" + otpCmdSecret + "&counter=1":        "time-based",
		"otpauth://totp/%zz?secret=" + otpCmdSecret:                       "not a valid otpauth",
	}
	for input, want := range cases {
		h, file := otpHarness(t)
		otpStdin(t, h, input)
		if code := h.run("otp", "import", "--file", file, "--account", "a"); code != 1 {
			t.Errorf("%q: exit %d, want 1", input, code)
		}
		errText := h.stderr.String()
		if !strings.Contains(errText, want) {
			t.Errorf("%q: stderr %q, want %q", input, errText, want)
		}
		if strings.Contains(errText, otpCmdSecret) || strings.Contains(errText, "NOTBASE32") {
			t.Errorf("error echoes the secret: %s", errText)
		}
		if _, err := os.Stat(file); err == nil {
			t.Errorf("%q: something was saved", input)
		}
	}
}

func TestOTPImportFromURI(t *testing.T) {
	h, file := otpHarness(t)
	otpStdin(t, h, "otpauth://totp/k9s-guard:a?secret="+strings.ToLower(otpCmdSecret)+"&issuer=k9s-guard&period=30\n")
	if code := h.run("otp", "import", "--file", file, "--account", "a"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if got, _ := otp.NewFileStore(file).Load("a"); got != otpCmdSecret {
		t.Errorf("stored %q", got)
	}
}

func TestOTPSettingsComeFromProfile(t *testing.T) {
	h, _ := otpHarness(t)
	file := filepath.Join(h.dir, "from-profile", "s.json")
	prof := h.write(t, "profile.yaml", "version: 1\notp:\n  store: file\n  file: "+file+"\n  account: bob@box\n")
	otpStdin(t, h, otpCmdSecret)
	if code := h.run("otp", "import", "--profile", prof); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if got, _ := otp.NewFileStore(file).Load("bob@box"); got != otpCmdSecret {
		t.Errorf("profile's otp settings not used: %q", got)
	}
}

func TestOTPUsageErrors(t *testing.T) {
	h, file := otpHarness(t)
	if code := h.run("otp", "status", "--store", "vault"); code != 2 {
		t.Errorf("--store vault: exit %d, want 2", code)
	}
	if code := h.run("otp", "status", "--nope"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code := h.run("otp", "status", "--file", file, "--account", "a:b"); code != 2 {
		t.Errorf("colon in account: exit %d, want 2", code)
	}
}

func TestOTPEnrollNeedsATerminal(t *testing.T) {
	h, file := otpHarness(t)
	otpStdin(t, h, "")
	if code := h.run("otp", "enroll", "--file", file, "--account", "a"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "otp import") {
		t.Errorf("stderr: %s", h.stderr.String())
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("enroll without a terminal saved something")
	}
}
