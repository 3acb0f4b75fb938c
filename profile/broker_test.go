package profile

import (
	"strings"
	"testing"
)

func TestBrokerSource(t *testing.T) {
	for _, c := range []struct{ yaml, ns string }{
		{"broker: {}", DefaultBrokerNamespace},
		{"broker: {namespace: stepup}", "stepup"},
	} {
		p, err := Parse("profile.yaml", []byte("version: 1\ncontexts:\n  prod:\n    protected: true\n    elevation:\n      "+c.yaml+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		e := p.For("prod").Elevation
		if e.Kind != ElevationBroker || e.Namespace != c.ns {
			t.Fatalf("%s: got %+v, want broker in %s", c.yaml, e, c.ns)
		}
	}
	_, err := Parse("profile.yaml", []byte("version: 1\ncontexts:\n  prod:\n    protected: true\n    elevation:\n      broker: {}\n      context: admin\n"))
	if err == nil || !strings.Contains(err.Error(), "choose exactly one source") {
		t.Fatalf("broker with context: %v, want a located error", err)
	}
}
