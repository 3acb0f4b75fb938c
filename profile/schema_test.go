package profile

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// TestSchemaCoversLoader checks that docs/profile.schema.json is valid
// JSON, and that every key the loader accepts appears in it at the same
// place, with the same closed set of values where the loader has one.
func TestSchemaCoversLoader(t *testing.T) {
	data, err := os.ReadFile("../docs/profile.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}

	// Each block of keys the loader knows, and where the schema holds it.
	blocks := []struct {
		keys []string
		at   []string
	}{
		{keysOf(reflect.TypeFor[fileProfile]()), nil},
		{keysOf(reflect.TypeFor[fileRule]()), []string{"$defs", "rule"}},
		{keysOf(reflect.TypeFor[fileElevation]()), []string{"$defs", "elevation"}},
		{keysOf(reflect.TypeFor[fileImpersonate]()), []string{"$defs", "elevation", "properties", "impersonate"}},
		{keysOf(reflect.TypeFor[fileServiceAccount]()), []string{"$defs", "elevation", "properties", "serviceAccount"}},
		{keysOf(reflect.TypeFor[fileCloseOn]()), []string{"$defs", "rule", "properties", "closeOn"}},
		{keysOf(reflect.TypeFor[fileAudit]()), []string{"properties", "audit"}},
		{keysOf(reflect.TypeFor[fileSyslog]()), []string{"properties", "audit", "properties", "syslog"}},
		{keysOf(reflect.TypeFor[fileOTP]()), []string{"properties", "otp"}},
	}
	for _, b := range blocks {
		node := dig(t, schema, b.at...)
		props, _ := node["properties"].(map[string]any)
		for _, k := range b.keys {
			if _, ok := props[k]; !ok {
				t.Errorf("schema %v lacks key %q", b.at, k)
			}
		}
		for k := range props {
			if !slices.Contains(b.keys, k) {
				t.Errorf("schema %v documents %q, which the loader refuses", b.at, k)
			}
		}
		if node["additionalProperties"] != false {
			t.Errorf("schema %v allows unknown keys; the loader does not", b.at)
		}
	}

	// Every named action and class is in the schema's action enum.
	anyOf := dig(t, schema, "$defs", "action")["anyOf"].([]any)
	values, _ := anyOf[0].(map[string]any)["enum"].([]any)
	for _, a := range append(NamedActions(), Classes()...) {
		if !slices.Contains(values, any(a)) {
			t.Errorf("schema action enum lacks %q", a)
		}
	}
	for alias := range actionAliases {
		if !slices.Contains(values, any(alias)) {
			t.Errorf("schema action enum lacks the accepted spelling %q", alias)
		}
	}
}

// dig walks nested objects by key.
func dig(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("schema has no object at %v", path)
		}
		m = next
	}
	return m
}
