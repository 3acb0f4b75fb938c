package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text string) *Profile {
	t.Helper()
	p, err := Parse("profile.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// docExamples returns the complete profiles (blocks starting with
// "version: 1") from docs/profile.md, so the reference cannot drift from
// what the loader accepts.
func docExamples(t *testing.T) []string {
	t.Helper()
	md, err := os.ReadFile("../docs/profile.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(md), -1) {
		if strings.HasPrefix(m[1], "version: 1") {
			out = append(out, m[1])
		}
	}
	if len(out) < 2 {
		t.Fatalf("found %d complete examples in docs/profile.md, want at least 2", len(out))
	}
	return out
}

func TestDocExamplesParse(t *testing.T) {
	for i, text := range docExamples(t) {
		if _, err := Parse("profile.md-example", []byte(text)); err != nil {
			t.Errorf("example %d: %v", i, err)
		}
	}
}

func TestFullExampleResolves(t *testing.T) {
	p := mustParse(t, docExamples(t)[0])
	home, _ := os.UserHomeDir()

	eu := p.For("prod-eu")
	want := Policy{
		Context:              "prod-eu",
		Match:                "prod-eu",
		Protected:            true,
		Actions:              []string{"writes", "sensitive"},
		Window:               5 * time.Minute,
		Elevation:            Elevation{Kind: ElevationContext, Context: "admin@prod-eu", Kubeconfig: filepath.Join(home, ".kube/admin.yaml")},
		CloseOnContextSwitch: true,
		Idle:                 3 * time.Minute,
		Scope:                ScopeOperation,
		ConfirmName:          []string{"delete-namespace", "delete-node", "delete-pv", "delete-pvc", "drain"},
	}
	if !reflect.DeepEqual(eu, want) {
		t.Errorf("For(prod-eu) =\n%+v\nwant\n%+v", eu, want)
	}

	us := p.For("arn:aws:eks:us-east-1:123456789012:cluster/prod-us")
	if us.Match != "*prod*" || !us.Protected || us.Scope != ScopeContext || us.Window != 10*time.Minute {
		t.Errorf("ARN context: %+v", us)
	}
	if got := us.Elevation.String(); got != "impersonate break-glass (groups: sre)" {
		t.Errorf("elevation from defaults = %q", got)
	}

	st := p.For("staging-1")
	if !st.OneShot || !slices.Equal(st.Actions, []string{"delete", "drain", "secrets"}) {
		t.Errorf("staging: %+v", st)
	}
	if got := st.Elevation.String(); got != "serviceaccount kube-system/break-glass" {
		t.Errorf("staging elevation = %q", got)
	}

	if p.For("kind-dev").Protected {
		t.Error("kind-dev is protected despite protected: false")
	}
	if pol := p.For("minikube"); pol.Protected || pol.Match != "" {
		t.Errorf("unmatched context: %+v", pol)
	}

	if p.Audit.Syslog == nil || p.Audit.Syslog.Address != "logs.example.com:514" || p.Audit.Syslog.Network != "udp" {
		t.Errorf("audit: %+v", p.Audit)
	}
	if p.OTP != (OTPConfig{Store: "keyring", File: filepath.Join(home, ".local/share/k9s-guard/otp-secret.json"), Issuer: "k9s-guard", Account: "alice@laptop"}) {
		t.Errorf("otp: %+v", p.OTP)
	}
}

func TestZeroProfileProtectsNothing(t *testing.T) {
	var nilProfile *Profile
	for _, p := range []*Profile{nilProfile, {}, mustParse(t, "version: 1\n")} {
		pol := p.For("prod")
		if pol.Protected || pol.Requires("delete") {
			t.Errorf("%+v protects prod: %+v", p, pol)
		}
		if pol.Window != DefaultWindow || !pol.CloseOnContextSwitch || pol.Scope != ScopeOperation {
			t.Errorf("built-in defaults missing: %+v", pol)
		}
	}
}

func TestListedContextIsProtectedByDefault(t *testing.T) {
	p := mustParse(t, "version: 1\ncontexts:\n  prod:\n    elevation: {context: admin}\n")
	if !p.For("prod").Protected {
		t.Fatal("a listed context without protected: must be protected")
	}
}

func TestDefaultsApplyOnlyUnderMatchingRules(t *testing.T) {
	p := mustParse(t, `version: 1
defaults:
  protected: true
  window: 1h
  elevation: {impersonate: {user: root}}
  closeOn: {idle: 1m}
contexts:
  prod:
    closeOn: {contextSwitch: false}
`)
	if p.For("dev").Protected {
		t.Error("defaults protected an unlisted context")
	}
	pol := p.For("prod")
	if !pol.Protected || pol.Window != time.Hour || pol.Idle != time.Minute || pol.CloseOnContextSwitch {
		t.Errorf("layering: %+v", pol)
	}
}

func TestRuleElevationReplacesDefaultWhole(t *testing.T) {
	p := mustParse(t, `version: 1
defaults:
  elevation: {impersonate: {user: root, groups: [sre]}}
contexts:
  prod:
    elevation: {context: admin}
`)
	if e := p.For("prod").Elevation; e.Kind != ElevationContext || e.User != "" || e.Groups != nil {
		t.Errorf("elevation = %+v", e)
	}
}

func TestMostSpecificMatchWins(t *testing.T) {
	rules := map[string]Rule{}
	for _, k := range []string{"prod", "*", "*prod*", "prod-*", "prod-eu-*", "prod-eu-?", "prod-[ab]*", `lit\*`} {
		rules[k] = Rule{}
	}
	p := &Profile{Contexts: rules}
	cases := map[string]string{
		"prod":                                   "prod",       // exact beats every glob
		"prod-us":                                "prod-*",     // longer prefix than *prod*
		"prod-eu-west":                           "prod-eu-*",  // longer prefix than prod-*
		"prod-eu-1":                              "prod-eu-?",  // same prefix and literals as prod-eu-*, but no *
		"prod-a1":                                "prod-[ab]*", // the class pins one more character than prod-*
		"myprod":                                 "*prod*",
		"dev":                                    "*",
		"lit*":                                   `lit\*`,  // escaped star is a literal
		"arn:aws:eks:eu-west-1:1:cluster/prod-x": "*prod*", // * crosses "/"
	}
	for name, want := range cases {
		if got := p.For(name).Match; got != want {
			t.Errorf("For(%q).Match = %q, want %q", name, got, want)
		}
	}
}

func TestSpecificityOrder(t *testing.T) {
	// Each pattern must beat every pattern after it.
	order := []string{"prod-eu-west", "prod-eu-?", "prod-eu-*", "prod-eu*x", "prod-[ab]*", "prod-*", "prod*", "*prod*", "*-*", "*"}
	for i := range order {
		for j := i + 1; j < len(order); j++ {
			if !moreSpecific(order[i], order[j]) || moreSpecific(order[j], order[i]) {
				t.Errorf("%q should beat %q", order[i], order[j])
			}
		}
	}
}

func TestRequires(t *testing.T) {
	base := Policy{Protected: true}
	cases := []struct {
		actions []string
		action  string
		want    bool
	}{
		{[]string{"writes", "sensitive"}, "delete", true},
		{[]string{"writes", "sensitive"}, "delete-namespace", true},
		{[]string{"writes", "sensitive"}, "exec", true},
		{[]string{"writes", "sensitive"}, "patch", true},
		{[]string{"writes", "sensitive"}, "get", false},
		{[]string{"writes", "sensitive"}, "logs", false},
		{[]string{"writes"}, "exec", false},
		{[]string{"writes"}, "transfer", true},
		{[]string{"sensitive"}, "transfer", true},
		{[]string{"sensitive"}, "scale", false},
		{[]string{"sensitive"}, "secrets", true},
		{[]string{"sensitive"}, "shell", true}, // alias of exec
		{[]string{"delete"}, "delete-pvc", true},
		{[]string{"delete-namespace"}, "delete-ns", true},
		{[]string{"delete-namespace"}, "delete-pod", false},
		{[]string{"delete-namespace"}, "delete", false},
		{[]string{"exec"}, "attach", false},
		{[]string{"all"}, "attach", true},
		{[]string{"all"}, "list", false},
		{[]string{"exec"}, "frobnicate", true}, // unknown actions fail closed
		{[]string{"exec"}, "", true},
	}
	for _, c := range cases {
		p := base
		p.Actions = c.actions
		if got := p.Requires(c.action); got != c.want {
			t.Errorf("Requires(%q) with %v = %v, want %v", c.action, c.actions, got, c.want)
		}
	}
	if (Policy{Actions: []string{"all"}}).Requires("delete") {
		t.Error("an unprotected policy required a step-up")
	}
}

func TestNeedsConfirmName(t *testing.T) {
	pol := (&Profile{}).For("x")
	for action, want := range map[string]bool{"delete-namespaces": true, "delete-ns": true, "drain": true, "delete-pod": false, "delete": false} {
		if got := pol.NeedsConfirmName(action); got != want {
			t.Errorf("NeedsConfirmName(%q) = %v", action, got)
		}
	}
	p := mustParse(t, "version: 1\ncontexts:\n  prod:\n    protected: false\n    confirmName: []\n")
	if c := p.For("prod").ConfirmName; c == nil || len(c) != 0 {
		t.Errorf("confirmName: [] should turn confirmation off, got %#v", c)
	}
}

func TestActionsCanonical(t *testing.T) {
	p := mustParse(t, "version: 1\ncontexts:\n  p:\n    protected: false\n    actions: [Shell, pf, cp, delete-namespaces, exec, write]\n")
	want := []string{"exec", "port-forward", "transfer", "delete-namespace", "writes"}
	if got := p.For("p").Actions; !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
}

func TestElevationString(t *testing.T) {
	cases := map[string]Elevation{
		"context admin@dev":                          {Kind: ElevationContext, Context: "admin@dev"},
		"context admin (kubeconfig /k/admin)":        {Kind: ElevationContext, Context: "admin", Kubeconfig: "/k/admin"},
		"impersonate break-glass (groups: sre, ops)": {Kind: ElevationImpersonate, User: "break-glass", Groups: []string{"sre", "ops"}},
		"impersonate root":                           {Kind: ElevationImpersonate, User: "root"},
		"serviceaccount kube-system/break-glass":     {Kind: ElevationServiceAccount, Namespace: "kube-system", Name: "break-glass"},
		"none":                                       {},
	}
	for want, e := range cases {
		if got := e.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	p := mustParse(t, `version: 1
x-bg: &bg
  protected: true
  window: 2m
  elevation: {serviceAccount: {namespace: kube-system, name: bg}}
contexts:
  a: *bg
  b:
    <<: *bg
    window: 1m
`)
	if a := p.For("a"); a.Window != 2*time.Minute || a.Elevation.Name != "bg" {
		t.Errorf("alias: %+v", a)
	}
	if b := p.For("b"); b.Window != time.Minute || !b.Protected {
		t.Errorf("merge: explicit key must win: %+v", b)
	}
}

// Attack: a "billion laughs" profile whose aliases expand exponentially
// must be refused quickly instead of exhausting memory or CPU.
func TestAliasBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nx-0: &a0 {protected: false}\n")
	for i := 1; i <= 30; i++ {
		b.WriteString("x-" + itoa(i) + ": &a" + itoa(i) + " {<<: [*a" + itoa(i-1) + ", *a" + itoa(i-1) + "]}\n")
	}
	b.WriteString("contexts:\n")
	for i := range 50 {
		b.WriteString("  c" + itoa(i) + ": *a30\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many aliases") && !strings.Contains(err.Error(), "expands too many") {
		t.Fatalf("err = %v, want a work-limit error", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRelativePathsAreRelativeToProfile(t *testing.T) {
	p, err := Parse("/etc/k9s-guard/profile.yaml", []byte("version: 1\naudit: {file: audit.jsonl}\notp: {file: /abs/secret}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Audit.File != "/etc/k9s-guard/audit.jsonl" || p.OTP.File != "/abs/secret" {
		t.Errorf("paths: %q %q", p.Audit.File, p.OTP.File)
	}
}

func TestErrorsAreAllReportedInOrder(t *testing.T) {
	_, err := Parse("p.yaml", []byte("version: 1\ncontexts:\n  prod:\n    elevation: {context: a}\n    window: 5\n    scope: x\n"))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "p.yaml:5:13: contexts.prod.window:") || !strings.HasPrefix(lines[1], "p.yaml:6:12: contexts.prod.scope:") {
		t.Errorf("errors:\n%v", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 5 || pe.Path != "contexts.prod.window" {
		t.Errorf("errors.As first = %+v", pe)
	}
}

func TestDidYouMean(t *testing.T) {
	cases := map[string]string{"oneshot": "oneShot", "one_shot": "oneShot", "windw": "window", "protectd": "protected", "zzz": ""}
	for in, want := range cases {
		if got := closest(in, keysOf(reflect.TypeFor[fileRule]())); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"K9S_GUARD_PROFILE": "/p.yaml", "XDG_CONFIG_HOME": "/x"}, "/p.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/k9s-guard/profile.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/h"}, "/h/.config/k9s-guard/profile.yaml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/k9s-guard/profile.yaml"},
	}
	for _, c := range cases {
		if got := DefaultPath(env(c.env)); got != c.want {
			t.Errorf("DefaultPath(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}

func TestOpenMissingFiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	getenv := func(k string) string { return env[k] }

	p, err := Open("", getenv)
	if err != nil {
		t.Fatalf("missing default profile: %v", err)
	}
	if p.For("prod").Protected || p.Path != filepath.Join(dir, "k9s-guard", "profile.yaml") {
		t.Errorf("default: %+v", p)
	}

	if _, err := Open(filepath.Join(dir, "nope.yaml"), getenv); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing --profile: err = %v, want ErrNotExist", err)
	}
	env["K9S_GUARD_PROFILE"] = filepath.Join(dir, "env.yaml")
	if _, err := Open("", getenv); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing $K9S_GUARD_PROFILE: err = %v, want ErrNotExist", err)
	}

	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("version: 1\ncontexts:\n  prod: {elevation: {context: admin}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = Open(good, getenv)
	if err != nil || !p.For("prod").Protected || p.Path != good {
		t.Errorf("Open(good) = %+v, %v", p, err)
	}
}

func TestOversizedProfileIsRefused(t *testing.T) {
	_, err := Parse("big.yaml", make([]byte, maxProfileSize+1))
	if err == nil || !strings.Contains(err.Error(), "big.yaml:1:1:") {
		t.Errorf("err = %v", err)
	}
}

// Kubernetes group and user names routinely contain ':' (system:masters,
// oidc:sre). YAML makes an unquoted system:masters one plain scalar, since
// its ':' is not followed by a space, but the YAML parser splits it into
// {system: masters} inside a flow sequence nested in a flow mapping. Every
// way of writing the name must give the same text.
func TestColonNamesInLists(t *testing.T) {
	cases := []struct {
		name, impersonate string
		want              []string
	}{
		{"flow in block", "\n        user: x\n        groups: [system:masters]", []string{"system:masters"}},
		{"quoted", "\n        user: x\n        groups: [\"system:masters\"]", []string{"system:masters"}},
		{"block list", "\n        user: x\n        groups:\n        - system:masters\n        - sre", []string{"system:masters", "sre"}},
		{"flow in flow", " {user: x, groups: [system:masters, sre]}", []string{"system:masters", "sre"}},
		{"flow in flow, quoted", " {user: x, groups: [\"system:masters\", 'sre']}", []string{"system:masters", "sre"}},
		{"flow in flow, padded", " {user: x, groups: [ system:masters ,sre ]}", []string{"system:masters", "sre"}},
		{"flow in flow, no spaces", " {user: x, groups: [system:masters,sre]}", []string{"system:masters", "sre"}},
		{"several colons", " {user: x, groups: [system:serviceaccounts:kube-system]}", []string{"system:serviceaccounts:kube-system"}},
		{"url", " {user: x, groups: [oidc:https://idp.example.com#sre]}", []string{"oidc:https://idp.example.com#sre"}},
		{"digits and words after the colon", " {user: x, groups: [team:42, flag:true, v:1.5]}", []string{"team:42", "flag:true", "v:1.5"}},
		{"comment after", " {user: x, groups: [system:masters # admins\n        ]}", []string{"system:masters"}},
		{"non-ASCII", " {user: x, groups: [équipe:sre]}", []string{"équipe:sre"}},
		{"colon user", " {user: system:admin, groups: [system:masters]}", []string{"system:masters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := "version: 1\ncontexts:\n  prod:\n    elevation:\n      impersonate:" + c.impersonate + "\n"
			e := mustParse(t, text).For("prod").Elevation
			if e.Kind != ElevationImpersonate || !slices.Equal(e.Groups, c.want) {
				t.Errorf("elevation = %+v, want groups %q", e, c.want)
			}
		})
	}
	// The same repair applies wherever a list of text is read.
	_, err := Parse("p.yaml", []byte("version: 1\ncontexts:\n  prod: {elevation: {context: a}, actions: [delete:pod]}\n"))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:3:45: contexts.prod.actions[0]: unknown action "delete:pod"`) {
		t.Errorf("err = %v, want the action read as delete:pod", err)
	}
}

// Only the unambiguous spelling is read back as one name: anything with a
// space around the ':', braces, quotes, an alias or a ':' that ends the
// text is a mapping to YAML as well, and stays an error at the item.
func TestColonNamesStayMappingsWhenAmbiguous(t *testing.T) {
	for _, item := range []string{"system: masters", "system :masters", "{system:masters}", "system:masters:", "system:masters: x", `system:"masters"`, "system:*a", "system:&a masters", "system:!!str masters", "? system:masters", "system:#x\n"} {
		text := "version: 1\nx-a: &a m\ncontexts:\n  prod: {elevation: {impersonate: {user: x, groups: [" + item + "]}}}\n"
		_, err := Parse("p.yaml", []byte(text))
		if err == nil {
			t.Errorf("[%s] was accepted", item)
			continue
		}
		if msg := strings.Split(err.Error(), "\n")[0]; !strings.HasPrefix(msg, "p.yaml:4:") || !strings.Contains(msg, ": contexts.prod.elevation.impersonate.groups[0]: ") {
			t.Errorf("[%s]: %v, want an error located at the item", item, err)
		}
	}
}
