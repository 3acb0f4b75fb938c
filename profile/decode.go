package profile

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The keys the loader knows, block by block. They are data rather than
// switch labels only, so that the schema test can check that
// docs/profile.schema.json documents every one of them.
var (
	topKeys            = []string{"version", "contexts", "defaults", "audit", "otp"}
	ruleKeys           = []string{"protected", "actions", "window", "elevation", "closeOn", "scope", "oneShot", "confirmName"}
	elevationKeys      = []string{"context", "kubeconfig", "impersonate", "serviceAccount"}
	impersonateKeys    = []string{"user", "groups"}
	serviceAccountKeys = []string{"namespace", "name"}
	closeOnKeys        = []string{"contextSwitch", "idle"}
	auditKeys          = []string{"file", "syslog", "events"}
	syslogKeys         = []string{"network", "address"}
	otpKeys            = []string{"store", "file", "issuer", "account"}
)

const (
	// maxNodes bounds the work one profile can cause. Aliases and merge
	// keys can make a small file expand exponentially ("billion laughs");
	// counting every mapping entry and alias we expand keeps Parse linear.
	maxNodes = 20000
	// maxErrors keeps a badly broken file from burying the first problem.
	maxErrors = 20
)

// decoder walks the YAML syntax tree, building a Profile and collecting
// located errors.
type decoder struct {
	file    string
	dir     string
	errs    []*Error
	anchors []*ast.AnchorNode
	budget  int
	spent   bool // the budget ran out and that was reported
}

type entry struct {
	key     string
	keyNode ast.Node
	value   ast.Node
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i], d.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	errs := make([]error, 0, min(len(d.errs), maxErrors))
	for i, e := range d.errs {
		if i == maxErrors {
			break
		}
		errs = append(errs, e)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func (d *decoder) errAt(n ast.Node, path, format string, args ...any) {
	line, col := position(n)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// position finds where a node starts in the source. Mapping nodes carry
// the position of their first ':' token, so they are located by their
// first key instead.
func position(n ast.Node) (int, int) {
	switch v := n.(type) {
	case nil:
		return 1, 1
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return position(v.Values[0].Key)
		}
		if v.Start != nil && v.Start.Position != nil {
			return v.Start.Position.Line, v.Start.Position.Column
		}
	case *ast.MappingValueNode:
		return position(v.Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 1, 1
}

// failedUnder reports whether an error was already reported at or below
// one of the key paths, so that a broken elevation block is not reported a
// second time as a missing one.
func (d *decoder) failedUnder(paths ...string) bool {
	for _, e := range d.errs {
		for _, p := range paths {
			if e.Path == p || strings.HasPrefix(e.Path, p+".") {
				return true
			}
		}
	}
	return false
}

// failedAt reports whether an error was reported exactly at one of the
// key paths (for instance "a rule is not a mapping").
func (d *decoder) failedAt(paths ...string) bool {
	for _, e := range d.errs {
		if slices.Contains(paths, e.Path) {
			return true
		}
	}
	return false
}

// spend takes one unit from the work budget.
func (d *decoder) spend(n ast.Node) bool {
	if d.budget > 0 {
		d.budget--
		return true
	}
	if !d.spent {
		d.spent = true
		d.errAt(n, "", "profile is too large or expands too many aliases (limit %d entries)", maxNodes)
	}
	return false
}

// joinPath appends a key to a key path, quoting keys that would make the
// path ambiguous (context names often contain dots, @ or globs).
func joinPath(parent, key string) string {
	if !plainKeyRE.MatchString(key) {
		key = strconv.Quote(key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func indexPath(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// describe names what was found, for "expected X, found Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "an empty value"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value)
	case *ast.StringNode:
		return strconv.Quote(v.Value)
	case *ast.LiteralNode:
		return "a block of text"
	default:
		if tk := n.GetToken(); tk != nil {
			return strconv.Quote(tk.Value)
		}
		return "a " + n.Type().String()
	}
}

// collectAnchors records every anchor so aliases can be resolved.
func (d *decoder) collectAnchors(n ast.Node) {
	ast.Walk(anchorVisitor{d}, n)
}

type anchorVisitor struct{ d *decoder }

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok {
		v.d.anchors = append(v.d.anchors, a)
	}
	return v
}

// resolve looks through anchors and aliases to the node that holds the
// value. YAML tags are refused: nothing in a profile needs one, and
// honouring them would let "!!str 5m" and "5m" mean different things.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	for range 64 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			if !d.spend(v) {
				return nil, false
			}
			target := d.anchorFor(v)
			if target == nil {
				d.errAt(v, path, "alias %s refers to no anchor defined before it", v.Value)
				return nil, false
			}
			n = target
		case *ast.TagNode:
			d.errAt(v, path, "YAML tags such as %s are not supported here", v.Start.Value)
			return nil, false
		default:
			return n, true
		}
	}
	d.errAt(n, path, "aliases nest too deeply")
	return nil, false
}

// anchorFor finds the most recent anchor of that name defined before the
// alias, which is what YAML specifies.
func (d *decoder) anchorFor(alias *ast.AliasNode) ast.Node {
	if alias.Value == nil || alias.Value.GetToken() == nil {
		return nil
	}
	name := alias.Value.GetToken().Value
	aLine, aCol := position(alias)
	var found ast.Node
	for _, a := range d.anchors {
		if a.Name == nil || a.Name.GetToken() == nil || a.Name.GetToken().Value != name {
			continue
		}
		l, c := position(a)
		if l < aLine || (l == aLine && c < aCol) {
			found = a.Value
		}
	}
	return found
}

// mapping returns the entries of a mapping node in source order, with
// merge keys (<<) expanded underneath the explicit keys. An empty value is
// an empty mapping.
func (d *decoder) mapping(n ast.Node, path string) ([]entry, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return nil, false
	}
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.errAt(n, path, "expected a mapping (key: value lines), found %s", describe(n))
		return nil, false
	}
	var own, merged []entry
	seen := map[string]bool{}
	for _, mv := range values {
		if !d.spend(mv) {
			return nil, false
		}
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			src, ok := d.resolve(mv.Value, path)
			if !ok {
				continue
			}
			srcs := []ast.Node{src}
			if seq, ok := src.(*ast.SequenceNode); ok {
				srcs = seq.Values
			}
			for _, s := range srcs {
				es, _ := d.mapping(s, path)
				merged = append(merged, es...)
			}
			continue
		}
		key, ok := d.keyString(mv.Key, path)
		if !ok {
			continue
		}
		own = append(own, entry{key: key, keyNode: mv.Key, value: mv.Value})
		seen[key] = true
	}
	// Explicit keys override merged ones, and earlier merge sources override
	// later ones, as the YAML merge-key convention says.
	for _, e := range merged {
		if !seen[e.key] {
			own = append(own, e)
			seen[e.key] = true
		}
	}
	return own, true
}

func (d *decoder) keyString(k ast.Node, path string) (string, bool) {
	k, ok := d.resolve(k, path)
	if !ok {
		return "", false
	}
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		// A context may well be called "1" or "true"; keys are names.
		return v.GetToken().Value, true
	default:
		d.errAt(k, path, "keys must be plain names, found %s", describe(k))
		return "", false
	}
}

func (d *decoder) unknownKey(e entry, path string, known []string) {
	d.errAt(e.keyNode, joinPath(path, e.key), "unknown key%s; expected one of %s", didYouMean(e.key, known), strings.Join(known, ", "))
}

// str reads a scalar as text. Numbers are accepted as text (a user or a
// namespace can be all digits); booleans and empty values are not, since
// they almost always mean a missing or mistyped value.
func (d *decoder) str(n ast.Node, path string) (string, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return "", false
	}
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimSpace(v.Value.Value), true
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, true
	case *ast.BoolNode:
		d.errAt(n, path, "expected text, found %s (quote it if you mean the word: \"%t\")", describe(n), v.Value)
	case *ast.MappingNode:
		if s, ok := colonScalar(v); ok {
			return s, true
		}
		d.errAt(n, path, "expected text, found %s%s", describe(n), quoteHint(v))
	default:
		d.errAt(n, path, "expected text, found %s", describe(n))
	}
	return "", false
}

// colonScalar reads back a plain scalar with a colon in it, such as the
// Kubernetes group system:masters, that the YAML parser split into a
// one-pair mapping. YAML 1.2 says a ':' not followed by a space is part of
// a plain scalar, and the parser agrees except in a flow sequence nested in
// a flow mapping ({user: x, groups: [system:masters]}), where it returns
// {system: masters}. The text is rebuilt only when the source leaves no
// doubt: one pair without braces, a plain key and a plain value on one
// line, the ':' directly between them. "system: masters" (a space after the
// colon) is a mapping in every YAML parser and stays one.
func colonScalar(m *ast.MappingNode) (string, bool) {
	if len(m.Values) != 1 || m.Start == nil || m.Start.Type != token.MappingValueType {
		return "", false
	}
	mv := m.Values[0]
	key, ok := plainText(mv.Key)
	if !ok {
		return "", false
	}
	val, ok := plainText(mv.Value)
	if !ok || strings.Contains(val, ": ") || strings.HasSuffix(val, ":") {
		// "a:b: c" and "a:b:" end in a real mapping indicator: the
		// parser's split is then not the only reading.
		return "", false
	}
	// Origin is each token's source text as written, so the checks below
	// read the source itself: nothing between the key and the ':', nothing
	// between the ':' and the value, and the value ending where its token
	// does.
	ktk, ctk, vtk := mv.Key.GetToken(), mv.Start, mv.Value.GetToken()
	kp, cp, vp := ktk.Position, ctk.Position, vtk.Position
	if kp == nil || cp == nil || vp == nil || kp.Line != cp.Line || cp.Line != vp.Line {
		return "", false
	}
	keyEnd := kp.Column + utf8.RuneCountInString(key)
	if cp.Column != keyEnd || vp.Column != keyEnd+1 ||
		strings.TrimLeft(ktk.Origin, " \t\r\n") != key || ctk.Origin != ":" ||
		strings.TrimRight(vtk.Origin, " \t\r\n") != val {
		return "", false
	}
	return key + ":" + val, true
}

// plainText returns the text of a plain (unquoted, untagged) scalar.
func plainText(n ast.Node) (string, bool) {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
	default:
		return "", false
	}
	tk := n.GetToken()
	if tk == nil || tk.Value == "" || tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType ||
		strings.ContainsAny(tk.Value, "\n\r") {
		return "", false
	}
	return tk.Value, true
}

// quoteHint suggests quoting a one-pair mapping of two words that was most
// likely meant as one name ("system: masters").
func quoteHint(m *ast.MappingNode) string {
	if len(m.Values) != 1 {
		return ""
	}
	key, isStr := m.Values[0].Key.(*ast.StringNode)
	val, isStr2 := m.Values[0].Value.(*ast.StringNode)
	if !isStr || !isStr2 || key.Value == "" || val.Value == "" || strings.ContainsAny(key.Value+val.Value, " \t\r\n:") {
		return ""
	}
	return fmt.Sprintf(" (quote it if it is one name: \"%s:%s\")", key.Value, val.Value)
}

// name reads text that must not be empty.
func (d *decoder) name(n ast.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errAt(n, path, "must not be empty")
		return "", false
	}
	return s, true
}

func (d *decoder) boolean(n ast.Node, path string) (bool, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return false, false
	}
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	d.errAt(n, path, "%s is not a boolean (use true or false)", describe(n))
	return false, false
}

var (
	digitsRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	daysRE   = regexp.MustCompile(`^([0-9]+)d$`)
)

// duration reads a Go duration ("90s", "5m", "1h30m"). A bare number is
// refused with a suggestion, because "window: 5" is ambiguous and guessing
// seconds where the user meant minutes would shrink a window to nothing.
func (d *decoder) duration(n ast.Node, path string) (time.Duration, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return 0, false
	}
	var s string
	switch v := n.(type) {
	case *ast.StringNode:
		s = strings.TrimSpace(v.Value)
	case *ast.IntegerNode, *ast.FloatNode:
		s = v.GetToken().Value
		if s == "0" {
			return 0, true
		}
	default:
		d.errAt(n, path, "expected a duration such as \"5m\", found %s", describe(n))
		return 0, false
	}
	dur, err := time.ParseDuration(s)
	if err == nil {
		if dur < 0 {
			d.errAt(n, path, "%q must not be negative", s)
			return 0, false
		}
		return dur, true
	}
	switch {
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
	return 0, false
}

// strList reads a list of text items, keeping each item's node for errors.
func (d *decoder) strList(n ast.Node, path string) ([]string, []ast.Node, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return nil, nil, false
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		hint := ""
		if s, isStr := n.(*ast.StringNode); isStr {
			hint = fmt.Sprintf(" (write [%s])", s.Value)
		}
		d.errAt(n, path, "expected a list, found %s%s", describe(n), hint)
		return nil, nil, false
	}
	out := make([]string, 0, len(seq.Values))
	nodes := make([]ast.Node, 0, len(seq.Values))
	ok = true
	for i, item := range seq.Values {
		if !d.spend(item) {
			return nil, nil, false
		}
		s, good := d.name(item, indexPath(path, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, item)
	}
	return out, nodes, ok
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
		p := indexPath(path, i)
		switch {
		case !valid:
			d.errAt(nodes[i], p, "unknown action %q%s; expected one of %s, or delete-<kind>", raw, didYouMean(raw, known), strings.Join(known, ", "))
			continue
		case confirm && slices.Contains(Classes(), a):
			d.errAt(nodes[i], p, "%q is a class; confirmName lists single actions such as drain or delete-namespace", raw)
			continue
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// filePath reads a path, expanding a leading ~ and making a relative path
// relative to the profile's own directory rather than to wherever
// k9s-guard happens to be started from.
func (d *decoder) filePath(n ast.Node, path string) (string, bool) {
	s, ok := d.name(n, path)
	if !ok {
		return "", false
	}
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[1:])
		}
	case !filepath.IsAbs(s):
		s = filepath.Join(d.dir, s)
	}
	return s, true
}

func (d *decoder) oneOf(n ast.Node, path string, allowed ...string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	d.errAt(n, path, "%q is not valid%s; expected %s", s, didYouMean(s, allowed), strings.Join(allowed, " or "))
	return "", false
}

func (d *decoder) profile(f *ast.File) *Profile {
	p := &Profile{Contexts: map[string]Rule{}}
	var body ast.Node
	docs := 0
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		docs++
		if docs == 1 {
			body = doc.Body
			continue
		}
		d.errAt(doc.Body, "", "only one YAML document is allowed in a profile")
	}
	if body == nil {
		d.errAt(nil, "", "profile is empty (it must start with \"version: %d\")", Version)
		return p
	}
	d.collectAnchors(body)
	entries, ok := d.mapping(body, "")
	if !ok {
		return p
	}
	var versionSeen bool
	var contexts []entry
	for _, e := range entries {
		path := joinPath("", e.key)
		switch e.key {
		case "version":
			versionSeen = true
			d.version(e.value, path, p)
		case "contexts":
			contexts = d.contexts(e.value, path, p)
		case "defaults":
			p.Defaults = d.rule(e.value, path)
		case "audit":
			p.Audit = d.audit(e.value, path)
		case "otp":
			p.OTP = d.otp(e.value, path)
		default:
			// x- keys are free for the user, typically to hold YAML
			// anchors that rules then merge in with <<.
			if strings.HasPrefix(e.key, "x-") {
				continue
			}
			d.unknownKey(e, "", topKeys)
		}
	}
	if !versionSeen {
		d.errAt(firstNode(f), "version", "missing; add \"version: %d\" at the top", Version)
	}
	if p.OTP.Store == "" {
		p.OTP.Store = "keyring"
	}
	if p.OTP.Issuer == "" {
		p.OTP.Issuer = "k9s-guard"
	}
	// Checked after defaults are known, since an elevation may come from
	// there: a protected context that cannot elevate would lock its user
	// out of every write, which is never what the profile meant.
	for _, e := range contexts {
		if _, kept := p.Contexts[e.key]; !kept {
			continue
		}
		pol := p.resolve(e.key, e.key)
		if pol.Protected && pol.Elevation.Kind == "" && !d.failedAt(joinPath("contexts", e.key), "defaults") &&
			!d.failedUnder(joinPath("contexts", e.key)+".elevation", "defaults.elevation") {
			d.errAt(e.keyNode, joinPath("contexts", e.key), "protected context has no elevation source; add elevation: with one of context, impersonate or serviceAccount (here or under defaults), or set protected: false")
		}
	}
	return p
}

func (d *decoder) version(n ast.Node, path string, p *Profile) {
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	if v, isInt := n.(*ast.IntegerNode); isInt {
		if i, err := strconv.Atoi(v.GetToken().Value); err == nil {
			if i != Version {
				d.errAt(n, path, "%d is not supported; this k9s-guard reads version %d", i, Version)
				return
			}
			p.Version = i
			return
		}
	}
	d.errAt(n, path, "expected the number %d, found %s", Version, describe(n))
}

func (d *decoder) contexts(n ast.Node, path string, p *Profile) []entry {
	entries, ok := d.mapping(n, path)
	if !ok {
		return nil
	}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		if strings.TrimSpace(e.key) == "" {
			d.errAt(e.keyNode, kp, "a context name or pattern must not be empty")
			continue
		}
		if isGlob(e.key) {
			if err := validGlob(e.key); err != nil {
				d.errAt(e.keyNode, kp, "bad glob pattern (unbalanced [ ] or a trailing \\); escape literal characters with \\")
				continue
			}
		}
		p.Contexts[e.key] = d.rule(e.value, kp)
	}
	return entries
}

func (d *decoder) rule(n ast.Node, path string) Rule {
	var r Rule
	entries, ok := d.mapping(n, path)
	if !ok {
		return r
	}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		switch e.key {
		case "protected":
			if b, ok := d.boolean(e.value, kp); ok {
				r.Protected = &b
			}
		case "actions":
			r.Actions = d.actions(e.value, kp, false)
		case "window":
			if v, ok := d.duration(e.value, kp); ok {
				switch {
				case v < MinWindow:
					d.errAt(e.value, kp, "%s is too short (minimum %s)", fmtDuration(v), fmtDuration(MinWindow))
				case v > MaxWindow:
					d.errAt(e.value, kp, "%s is too long (maximum %s)", fmtDuration(v), fmtDuration(MaxWindow))
				default:
					r.Window = &v
				}
			}
		case "elevation":
			r.Elevation = d.elevation(e, kp)
		case "closeOn":
			d.closeOn(e.value, kp, &r)
		case "scope":
			if s, ok := d.oneOf(e.value, kp, ScopeOperation, ScopeContext); ok {
				r.Scope = s
			}
		case "oneShot":
			if b, ok := d.boolean(e.value, kp); ok {
				r.OneShot = &b
			}
		case "confirmName":
			if c := d.actions(e.value, kp, true); c != nil {
				r.ConfirmName = c
			}
		default:
			d.unknownKey(e, path, ruleKeys)
		}
	}
	return r
}

func (d *decoder) closeOn(n ast.Node, path string, r *Rule) {
	entries, ok := d.mapping(n, path)
	if !ok {
		return
	}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		switch e.key {
		case "contextSwitch":
			if b, ok := d.boolean(e.value, kp); ok {
				r.CloseOnContextSwitch = &b
			}
		case "idle":
			if v, ok := d.duration(e.value, kp); ok {
				switch {
				case v != 0 && v < MinIdle:
					d.errAt(e.value, kp, "%s is too short (use 0 to turn the idle timeout off, or at least %s)", fmtDuration(v), fmtDuration(MinIdle))
				case v > MaxWindow:
					d.errAt(e.value, kp, "%s is longer than the longest window (%s)", fmtDuration(v), fmtDuration(MaxWindow))
				default:
					r.Idle = &v
				}
			}
		default:
			d.unknownKey(e, path, closeOnKeys)
		}
	}
}

func (d *decoder) elevation(at entry, path string) *Elevation {
	entries, ok := d.mapping(at.value, path)
	if !ok {
		return nil
	}
	var e Elevation
	var sources []entry
	var kubeconfig *entry
	good := true
	for _, en := range entries {
		kp := joinPath(path, en.key)
		switch en.key {
		case "context":
			sources = append(sources, en)
			if s, ok := d.name(en.value, kp); ok {
				e.Kind, e.Context = ElevationContext, s
			} else {
				good = false
			}
		case "kubeconfig":
			en := en
			kubeconfig = &en
			if s, ok := d.filePath(en.value, kp); ok {
				e.Kubeconfig = s
			} else {
				good = false
			}
		case "impersonate":
			sources = append(sources, en)
			if d.impersonate(en, kp, &e) {
				e.Kind = ElevationImpersonate
			} else {
				good = false
			}
		case "serviceAccount":
			sources = append(sources, en)
			if d.serviceAccount(en, kp, &e) {
				e.Kind = ElevationServiceAccount
			} else {
				good = false
			}
		default:
			d.unknownKey(en, path, elevationKeys)
		}
	}
	switch {
	case len(sources) == 0 && d.failedUnder(path):
		return nil
	case len(sources) == 0:
		d.errAt(at.keyNode, path, "needs exactly one source: context, impersonate or serviceAccount")
		return nil
	case len(sources) > 1:
		d.errAt(sources[1].keyNode, path, "has both %s and %s; choose exactly one source", sources[0].key, sources[1].key)
		return nil
	case kubeconfig != nil && sources[0].key != "context":
		d.errAt(kubeconfig.keyNode, joinPath(path, "kubeconfig"), "only applies to a context source, not %s", sources[0].key)
		return nil
	case !good:
		return nil
	}
	return &e
}

func (d *decoder) impersonate(at entry, path string, e *Elevation) bool {
	entries, ok := d.mapping(at.value, path)
	if !ok {
		return false
	}
	good, haveUser := true, false
	for _, en := range entries {
		kp := joinPath(path, en.key)
		switch en.key {
		case "user":
			haveUser = true
			if s, ok := d.name(en.value, kp); ok {
				e.User = s
			} else {
				good = false
			}
		case "groups":
			if g, _, ok := d.strList(en.value, kp); ok {
				e.Groups = g
			} else {
				good = false
			}
		default:
			d.unknownKey(en, path, impersonateKeys)
			good = false
		}
	}
	if !haveUser {
		d.errAt(at.keyNode, joinPath(path, "user"), "missing; Kubernetes impersonation needs a user (groups alone are not enough)")
		return false
	}
	return good
}

func (d *decoder) serviceAccount(at entry, path string, e *Elevation) bool {
	entries, ok := d.mapping(at.value, path)
	if !ok {
		return false
	}
	good := true
	var have []string
	for _, en := range entries {
		kp := joinPath(path, en.key)
		switch en.key {
		case "namespace":
			have = append(have, en.key)
			if s, ok := d.name(en.value, kp); ok {
				if len(validation.IsDNS1123Label(s)) > 0 {
					d.errAt(en.value, kp, "%q is not a valid namespace name (lowercase letters, digits and '-', at most 63)", s)
					good = false
				}
				e.Namespace = s
			} else {
				good = false
			}
		case "name":
			have = append(have, en.key)
			if s, ok := d.name(en.value, kp); ok {
				if len(validation.IsDNS1123Subdomain(s)) > 0 {
					d.errAt(en.value, kp, "%q is not a valid service account name (lowercase letters, digits, '-' and '.', at most 253)", s)
					good = false
				}
				e.Name = s
			} else {
				good = false
			}
		default:
			d.unknownKey(en, path, serviceAccountKeys)
			good = false
		}
	}
	for _, k := range serviceAccountKeys {
		if !slices.Contains(have, k) {
			d.errAt(at.keyNode, joinPath(path, k), "missing; a service account source needs both namespace and name")
			good = false
		}
	}
	return good
}

func (d *decoder) audit(n ast.Node, path string) AuditConfig {
	var a AuditConfig
	entries, ok := d.mapping(n, path)
	if !ok {
		return a
	}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		switch e.key {
		case "file":
			a.File, _ = d.filePath(e.value, kp)
		case "syslog":
			a.Syslog = d.syslog(e, kp)
		case "events":
			a.Events, _ = d.boolean(e.value, kp)
		default:
			d.unknownKey(e, path, auditKeys)
		}
	}
	return a
}

func (d *decoder) syslog(at entry, path string) *SyslogConfig {
	entries, ok := d.mapping(at.value, path)
	if !ok {
		return nil
	}
	s := &SyslogConfig{Network: "udp"}
	haveAddr := false
	for _, e := range entries {
		kp := joinPath(path, e.key)
		switch e.key {
		case "network":
			if v, ok := d.oneOf(e.value, kp, "udp", "tcp"); ok {
				s.Network = v
			}
		case "address":
			haveAddr = true
			v, ok := d.name(e.value, kp)
			if !ok {
				continue
			}
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				d.errAt(e.value, kp, "%q is not host:port (for example \"logs.example.com:514\")", v)
				continue
			}
			s.Address = v
		default:
			d.unknownKey(e, path, syslogKeys)
		}
	}
	if !haveAddr {
		d.errAt(at.keyNode, joinPath(path, "address"), "missing; syslog needs an address such as \"logs.example.com:514\"")
	}
	return s
}

func (d *decoder) otp(n ast.Node, path string) OTPConfig {
	var o OTPConfig
	entries, ok := d.mapping(n, path)
	if !ok {
		return o
	}
	for _, e := range entries {
		kp := joinPath(path, e.key)
		switch e.key {
		case "store":
			o.Store, _ = d.oneOf(e.value, kp, "keyring", "file")
		case "file":
			o.File, _ = d.filePath(e.value, kp)
		case "issuer", "account":
			v, ok := d.name(e.value, kp)
			if !ok {
				continue
			}
			// The otpauth:// label is "issuer:account"; a colon in either
			// would make authenticator apps split it in the wrong place.
			if strings.Contains(v, ":") {
				d.errAt(e.value, kp, "%q must not contain ':'", v)
				continue
			}
			if e.key == "issuer" {
				o.Issuer = v
			} else {
				o.Account = v
			}
		default:
			d.unknownKey(e, path, otpKeys)
		}
	}
	return o
}
