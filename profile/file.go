package profile

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The profile as the file spells it. The yaml tags are the keys a block
// accepts (the binder refuses any other, and the schema test checks
// docs/profile.schema.json against them); each field's type reads its own
// value and reports where it is wrong; a block's check method holds the
// rules that span its keys; a missing tag makes a key required and says
// why. A pointer field is nil when its key is absent or its value was
// refused.
type (
	fileProfile struct {
		Version  *version  `yaml:"version"`
		Contexts contexts  `yaml:"contexts"`
		Defaults fileRule  `yaml:"defaults"`
		Audit    fileAudit `yaml:"audit"`
		OTP      fileOTP   `yaml:"otp"`
	}
	fileRule struct {
		Protected   *boolean       `yaml:"protected"`
		Actions     actionList     `yaml:"actions"`
		Window      *window        `yaml:"window"`
		Elevation   *fileElevation `yaml:"elevation"`
		CloseOn     fileCloseOn    `yaml:"closeOn"`
		Scope       *scope         `yaml:"scope"`
		OneShot     *boolean       `yaml:"oneShot"`
		ConfirmName confirmList    `yaml:"confirmName"`
	}
	fileCloseOn struct {
		ContextSwitch *boolean `yaml:"contextSwitch"`
		Idle          *idle    `yaml:"idle"`
	}
	fileElevation struct {
		Context        *name               `yaml:"context"`
		Kubeconfig     *filePath           `yaml:"kubeconfig"`
		Impersonate    *fileImpersonate    `yaml:"impersonate"`
		ServiceAccount *fileServiceAccount `yaml:"serviceAccount"`
		Broker         *fileBroker         `yaml:"broker"`
	}
	// fileBroker: the in-cluster broker checks the code and grants the
	// user's own identity; namespace is where it runs.
	fileBroker struct {
		Namespace *namespace `yaml:"namespace"`
	}
	fileImpersonate struct {
		User   *name    `yaml:"user" missing:"Kubernetes impersonation needs a user (groups alone are not enough)"`
		Groups nameList `yaml:"groups"`
	}
	fileServiceAccount struct {
		Namespace *namespace      `yaml:"namespace" missing:"a service account source needs both namespace and name"`
		Name      *serviceAccount `yaml:"name" missing:"a service account source needs both namespace and name"`
	}
	fileAudit struct {
		File   *filePath   `yaml:"file"`
		Syslog *fileSyslog `yaml:"syslog"`
		Events *boolean    `yaml:"events"`
	}
	fileSyslog struct {
		Network *network `yaml:"network"`
		Address *address `yaml:"address" missing:"syslog needs an address such as \"logs.example.com:514\""`
	}
	fileOTP struct {
		Store   *store    `yaml:"store"`
		File    *filePath `yaml:"file"`
		Issuer  *label    `yaml:"issuer"`
		Account *label    `yaml:"account"`
	}
)

// Leaf types: each reads one value with the decoder's located errors.
type (
	version        int
	boolean        bool
	window         time.Duration
	idle           time.Duration
	scope          string
	name           string
	filePath       string
	namespace      string
	serviceAccount string
	network        string
	address        string
	store          string
	label          string
	nameList       []string
	actionList     []string
	confirmList    []string
)

func (v *boolean) read(d *decoder, n ast.Node, path string) bool {
	n, ok := d.resolve(n, path)
	if !ok {
		return false
	}
	b, ok := n.(*ast.BoolNode)
	if !ok {
		d.errAt(n, path, "%s is not a boolean (use true or false)", describe(n))
		return false
	}
	*v = boolean(b.Value)
	return true
}

func (v *name) read(d *decoder, n ast.Node, path string) bool { return d.name(n, path, (*string)(v)) }

func (v *scope) read(d *decoder, n ast.Node, path string) bool {
	return d.oneOf(n, path, (*string)(v), ScopeOperation, ScopeContext)
}

func (v *network) read(d *decoder, n ast.Node, path string) bool {
	return d.oneOf(n, path, (*string)(v), "udp", "tcp")
}

func (v *store) read(d *decoder, n ast.Node, path string) bool {
	return d.oneOf(n, path, (*string)(v), "keyring", "file")
}

func (d *decoder) oneOf(n ast.Node, path string, dst *string, allowed ...string) bool {
	s, ok := d.str(n, path)
	if !ok {
		return false
	}
	if !slices.Contains(allowed, s) {
		d.errAt(n, path, "%q is not valid%s; expected %s", s, didYouMean(s, allowed), strings.Join(allowed, " or "))
		return false
	}
	*dst = s
	return true
}

func (v *namespace) read(d *decoder, n ast.Node, path string) bool {
	return d.nameThat(n, path, (*string)(v), func(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 },
		"%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)")
}

func (v *serviceAccount) read(d *decoder, n ast.Node, path string) bool {
	return d.nameThat(n, path, (*string)(v), func(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 },
		"%q is not a valid service account name (lowercase letters, digits, '-' and '.', at most 253)")
}

func (v *address) read(d *decoder, n ast.Node, path string) bool {
	return d.nameThat(n, path, (*string)(v), func(s string) bool {
		_, port, err := net.SplitHostPort(s)
		return err == nil && port != ""
	}, "%q is not host:port (for example \"logs.example.com:514\")")
}

// read refuses a ':' because the otpauth:// label is "issuer:account": a
// colon in either would make authenticator apps split it in the wrong place.
func (v *label) read(d *decoder, n ast.Node, path string) bool {
	return d.nameThat(n, path, (*string)(v), func(s string) bool { return !strings.Contains(s, ":") }, "%q must not contain ':'")
}

// nameThat reads a name that must pass good; msg says why it does not.
func (d *decoder) nameThat(n ast.Node, path string, dst *string, good func(string) bool, msg string) bool {
	var s string
	if !d.name(n, path, &s) {
		return false
	}
	if !good(s) {
		d.errAt(n, path, msg, s)
		return false
	}
	*dst = s
	return true
}

// read expands a leading ~ and makes a relative path relative to the
// profile's own directory rather than to wherever k9s-guard happens to be
// started from.
func (v *filePath) read(d *decoder, n ast.Node, path string) bool {
	var s string
	if !d.name(n, path, &s) {
		return false
	}
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[1:])
		}
	case !filepath.IsAbs(s):
		s = filepath.Join(d.dir, s)
	}
	*v = filePath(s)
	return true
}

func (v *window) read(d *decoder, n ast.Node, path string) bool {
	return d.durationIn(n, path, (*time.Duration)(v), false,
		MinWindow, "%s is too short (minimum %s)", MaxWindow, "%s is too long (maximum %s)")
}

func (v *idle) read(d *decoder, n ast.Node, path string) bool {
	return d.durationIn(n, path, (*time.Duration)(v), true,
		MinIdle, "%s is too short (use 0 to turn the idle timeout off, or at least %s)",
		MaxWindow, "%s is longer than the longest window (%s)")
}

// durationIn reads a duration from lo to hi (or 0, when zero says it turns
// something off); the messages get the value and the bound it misses.
func (d *decoder) durationIn(n ast.Node, path string, dst *time.Duration, zero bool, lo time.Duration, short string, hi time.Duration, long string) bool {
	switch {
	case !d.duration(n, path, dst):
	case *dst < lo && (*dst != 0 || !zero):
		d.errAt(n, path, short, fmtDuration(*dst), fmtDuration(lo))
	case *dst > hi:
		d.errAt(n, path, long, fmtDuration(*dst), fmtDuration(hi))
	default:
		return true
	}
	return false
}

var (
	digitsRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	daysRE   = regexp.MustCompile(`^([0-9]+)d$`)
)

// duration reads a Go duration ("90s", "5m", "1h30m"). A bare number is
// refused with a suggestion, because "window: 5" is ambiguous and guessing
// seconds where the user meant minutes would shrink a window to nothing.
func (d *decoder) duration(n ast.Node, path string, dst *time.Duration) bool {
	n, ok := d.resolve(n, path)
	if !ok {
		return false
	}
	var s string
	switch v := n.(type) {
	case *ast.StringNode:
		s = strings.TrimSpace(v.Value)
	case *ast.IntegerNode, *ast.FloatNode:
		if s = v.GetToken().Value; s == "0" {
			*dst = 0
			return true
		}
	default:
		d.errAt(n, path, "expected a duration such as \"5m\", found %s", describe(n))
		return false
	}
	dur, err := time.ParseDuration(s)
	switch {
	case err == nil && dur < 0:
		d.errAt(n, path, "%q must not be negative", s)
	case err == nil:
		*dst = dur
		return true
	case digitsRE.MatchString(s):
		unit := "m"
		if f, _ := strconv.ParseFloat(s, 64); f > 60 {
			unit = "s"
		}
		d.errAt(n, path, "%q is not a duration (try %q)", s, s+unit)
	case daysRE.MatchString(s):
		days, _ := strconv.Atoi(daysRE.FindStringSubmatch(s)[1])
		d.errAt(n, path, "%q is not a duration: days are not a unit (try %q)", s, strconv.Itoa(days*24)+"h")
	default:
		d.errAt(n, path, "%q is not a duration (use a number and a unit: 90s, 5m, 1h30m)", s)
	}
	return false
}

func (v *nameList) read(d *decoder, n ast.Node, path string) bool {
	l, _, ok := d.strList(n, path)
	if ok {
		*v = l
	}
	return ok
}

func (v *actionList) read(d *decoder, n ast.Node, path string) bool {
	*v = d.actions(n, path, false)
	return *v != nil
}

func (v *confirmList) read(d *decoder, n ast.Node, path string) bool {
	*v = d.actions(n, path, true)
	return *v != nil
}

// actions reads an actions or confirmName list into canonical names.
func (d *decoder) actions(n ast.Node, path string, confirm bool) []string {
	items, nodes, ok := d.strList(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 && !confirm {
		d.errAt(n, path, "must list at least one action (to guard nothing, set protected: false)")
		return nil
	}
	known := slices.Concat(NamedActions(), Classes())
	out := make([]string, 0, len(items))
	for i, raw := range items {
		a, valid := canonicalAction(raw)
		switch {
		case !valid:
			d.errAt(nodes[i], indexPath(path, i), "unknown action %q%s; expected one of %s, or delete-<kind>", raw, didYouMean(raw, known), strings.Join(known, ", "))
		case confirm && slices.Contains(Classes(), a):
			d.errAt(nodes[i], indexPath(path, i), "%q is a class; confirmName lists single actions such as drain or delete-namespace", raw)
		case !slices.Contains(out, a):
			out = append(out, a)
		}
	}
	return out
}

// contexts maps a context name or glob to its rule, and keeps each name's
// key node for the checks that come once the defaults are known. A rule
// that fails is still kept (empty), so that it is not reported a second
// time as a protected context without an elevation source.
type contexts struct {
	rules map[string]fileRule
	keys  []entry
}

func (c *contexts) read(d *decoder, n ast.Node, path string) bool {
	entries, ok := d.mapping(n, path)
	if !ok {
		return false
	}
	c.rules = map[string]fileRule{}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		if strings.TrimSpace(e.key) == "" {
			d.errAt(e.keyNode, kp, "a context name or pattern must not be empty")
			continue
		}
		if isGlob(e.key) && validGlob(e.key) != nil {
			d.errAt(e.keyNode, kp, "bad glob pattern (unbalanced [ ] or a trailing \\); escape literal characters with \\")
			continue
		}
		var r fileRule
		d.block(e, kp, &r)
		c.rules[e.key] = r
		c.keys = append(c.keys, e)
	}
	return true
}

func (v *version) read(d *decoder, n ast.Node, path string) bool {
	n, ok := d.resolve(n, path)
	if !ok {
		return false
	}
	if iv, isInt := n.(*ast.IntegerNode); isInt {
		if i, err := strconv.Atoi(iv.GetToken().Value); err == nil {
			if i != Version {
				d.errAt(n, path, "%d is not supported; this k9s-guard reads version %d", i, Version)
				return false
			}
			*v = version(i)
			return true
		}
	}
	d.errAt(n, path, "expected the number %d, found %s", Version, describe(n))
	return false
}

// allowsExtensions lets the top level hold x- keys, free for the user,
// typically to hold YAML anchors that rules then merge in with <<.
func (*fileProfile) allowsExtensions() {}

// check: the version is there, and every protected context can elevate,
// from its rule or the defaults. Checked once the defaults are known: a
// protected context that cannot elevate would lock its user out of every
// write, which is never what the profile meant.
func (fp *fileProfile) check(d *decoder, at entry, _ string, keys []entry) bool {
	if !hasKey(keys, "version") {
		d.errAt(at.value, "version", "missing; add \"version: %d\" at the top", Version)
	}
	p := fp.profile()
	for _, e := range fp.Contexts.keys {
		kp := joinPath("contexts", e.key)
		pol := p.resolve(e.key, e.key)
		if pol.Protected && pol.Elevation.Kind == "" && !d.failedAt(kp, "defaults") && !d.failedUnder(kp+".elevation", "defaults.elevation") {
			d.errAt(e.keyNode, kp, "protected context has no elevation source; add elevation: with one of context, impersonate or serviceAccount (here or under defaults), or set protected: false")
		}
	}
	return true
}

// check: an elevation names exactly one source, and kubeconfig only goes
// with a context.
func (e *fileElevation) check(d *decoder, at entry, path string, keys []entry) bool {
	var sources []entry
	var kubeconfig *entry
	d.mark(at.keyNode, path)
	for i, k := range keys {
		switch k.key {
		case "context", "impersonate", "serviceAccount", "broker":
			d.mark(k.value, joinPath(path, k.key))
			sources = append(sources, k)
		case "kubeconfig":
			kubeconfig = &keys[i]
		}
	}
	switch {
	case len(sources) == 0 && d.failedUnder(path):
	case len(sources) == 0:
		d.errAt(at.keyNode, path, "needs exactly one source: context, impersonate or serviceAccount")
	case len(sources) > 1:
		d.errAt(sources[1].keyNode, path, "has both %s and %s; choose exactly one source", sources[0].key, sources[1].key)
	case kubeconfig != nil && sources[0].key != "context":
		d.errAt(kubeconfig.keyNode, joinPath(path, "kubeconfig"), "only applies to a context source, not %s", sources[0].key)
	default:
		return true
	}
	return false
}

func hasKey(keys []entry, key string) bool {
	return slices.ContainsFunc(keys, func(e entry) bool { return e.key == key })
}

// The conversions from the file's shape to the types the rest of the
// program uses.

func (fp *fileProfile) profile() *Profile {
	p := &Profile{Contexts: map[string]Rule{}, Defaults: fp.Defaults.rule(), Audit: fp.Audit.config(), OTP: fp.OTP.config()}
	if fp.Version != nil {
		p.Version = int(*fp.Version)
	}
	for k, r := range fp.Contexts.rules {
		p.Contexts[k] = r.rule()
	}
	return p
}

func (r fileRule) rule() Rule {
	out := Rule{
		Protected: (*bool)(r.Protected), Actions: r.Actions, Window: (*time.Duration)(r.Window),
		CloseOnContextSwitch: (*bool)(r.CloseOn.ContextSwitch), Idle: (*time.Duration)(r.CloseOn.Idle),
		OneShot: (*bool)(r.OneShot), ConfirmName: r.ConfirmName,
	}
	if r.Scope != nil {
		out.Scope = string(*r.Scope)
	}
	if e := r.Elevation; e != nil {
		out.Elevation = &Elevation{Kubeconfig: str(e.Kubeconfig)}
		switch {
		case e.Context != nil:
			out.Elevation.Kind, out.Elevation.Context = ElevationContext, string(*e.Context)
		case e.Impersonate != nil:
			out.Elevation.Kind, out.Elevation.User, out.Elevation.Groups = ElevationImpersonate, str(e.Impersonate.User), e.Impersonate.Groups
		case e.ServiceAccount != nil:
			out.Elevation.Kind = ElevationServiceAccount
			out.Elevation.Namespace, out.Elevation.Name = str(e.ServiceAccount.Namespace), str(e.ServiceAccount.Name)
		case e.Broker != nil:
			out.Elevation.Kind, out.Elevation.Namespace = ElevationBroker, str(e.Broker.Namespace)
			if out.Elevation.Namespace == "" {
				out.Elevation.Namespace = DefaultBrokerNamespace
			}
		}
	}
	return out
}

func (a fileAudit) config() AuditConfig {
	out := AuditConfig{File: str(a.File), Events: a.Events != nil && bool(*a.Events)}
	if a.Syslog != nil {
		out.Syslog = &SyslogConfig{Network: "udp", Address: str(a.Syslog.Address)}
		if a.Syslog.Network != nil {
			out.Syslog.Network = string(*a.Syslog.Network)
		}
	}
	return out
}

func (o fileOTP) config() OTPConfig {
	out := OTPConfig{Store: str(o.Store), File: str(o.File), Issuer: str(o.Issuer), Account: str(o.Account)}
	if out.Store == "" {
		out.Store = "keyring"
	}
	if out.Issuer == "" {
		out.Issuer = "k9s-guard"
	}
	return out
}

// str is the text of an optional leaf, "" when absent.
func str[T ~string](v *T) string {
	if v == nil {
		return ""
	}
	return string(*v)
}
