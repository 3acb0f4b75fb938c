package profile

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
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
	anchors []ast.Node // every *ast.AnchorNode, in document order
	budget  int
	spent   bool // the budget ran out and that was reported
	// at remembers where some keys are, for errors found after loading
	// (an elevation context missing from the kubeconfig).
	at map[string]Location
}

// mark remembers where the node at path starts.
func (d *decoder) mark(n ast.Node, path string) {
	if d.at == nil {
		d.at = map[string]Location{}
	}
	line, col := position(n)
	d.at[path] = Location{Line: line, Column: col}
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
	for _, n := range d.anchors {
		a := n.(*ast.AnchorNode)
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

// name reads text that must not be empty into dst.
func (d *decoder) name(n ast.Node, path string, dst *string) bool {
	s, ok := d.str(n, path)
	if !ok {
		return false
	}
	if strings.TrimSpace(s) == "" {
		d.errAt(n, path, "must not be empty")
		return false
	}
	*dst = s
	return true
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
		var s string
		if !d.name(item, indexPath(path, i), &s) {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, item)
	}
	return out, nodes, ok
}

// profile reads the one document of f into a Profile.
func (d *decoder) profile(f *ast.File) *Profile {
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
		return &Profile{Contexts: map[string]Rule{}}
	}
	d.anchors = ast.Filter(ast.AnchorType, body)
	var fp fileProfile
	d.block(entry{value: body}, "", &fp)
	p := fp.profile()
	p.Locations = d.at
	return p
}

// A reader is a leaf of the profile (see file.go): it reads its value from
// the node and reports, located, what is wrong with it.
type reader interface {
	read(d *decoder, n ast.Node, path string) bool
}

// A checker is a block with rules that span its keys; keys are the known
// keys present, in source order, whether or not their values were good.
type checker interface {
	check(d *decoder, at entry, path string, keys []entry) bool
}

// block reads the mapping at.value into the struct v points to: each key
// into the field its yaml tag names, any other key reported with the known
// ones (the top level also allows x- keys), a required key that is absent
// reported at the block's own key, then the block's check. It reports
// whether everything in it was good.
func (d *decoder) block(at entry, path string, v any) bool {
	entries, ok := d.mapping(at.value, path)
	if !ok {
		return false
	}
	rv := reflect.ValueOf(v).Elem()
	keys := keysOf(rv.Type())
	_, open := v.(interface{ allowsExtensions() })
	var present []entry
	for _, e := range entries {
		i := slices.Index(keys, e.key)
		if i < 0 {
			if !open || !strings.HasPrefix(e.key, "x-") {
				d.unknownKey(e, path, keys)
				ok = false
			}
			continue
		}
		present = append(present, e)
		if !d.field(rv.Field(i), e, joinPath(path, e.key)) {
			ok = false
		}
	}
	for i, k := range keys {
		if why := rv.Type().Field(i).Tag.Get("missing"); why != "" && !hasKey(present, k) {
			d.errAt(at.keyNode, joinPath(path, k), "missing; %s", why)
			ok = false
		}
	}
	if c, checked := v.(checker); checked && !c.check(d, at, path, present) {
		ok = false
	}
	return ok
}

// field reads one value into f: a leaf reads itself, a struct is a block
// of its own. A pointer field is set only when its value was good, so nil
// means absent or refused.
func (d *decoder) field(f reflect.Value, at entry, path string) bool {
	target := f
	if f.Kind() == reflect.Pointer {
		target = reflect.New(f.Type().Elem()).Elem()
	}
	var ok bool
	if r, leaf := target.Addr().Interface().(reader); leaf {
		ok = r.read(d, at.value, path)
	} else {
		ok = d.block(at, path, target.Addr().Interface())
	}
	if ok && f.Kind() == reflect.Pointer {
		f.Set(target.Addr())
	}
	return ok
}

// keysOf lists a block's keys, its fields' yaml tags in field order.
func keysOf(t reflect.Type) []string {
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("yaml")
	}
	return keys
}
