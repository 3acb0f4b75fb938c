package kube

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestContextAccessSummary(t *testing.T) {
	answered := func(allowed ...string) ContextAccess {
		a := ContextAccess{Context: "c", Checks: AccessChecks("shop")}
		for i := range a.Checks {
			for _, l := range allowed {
				if a.Checks[i].Label == l {
					a.Checks[i].Allowed = true
				}
			}
		}
		return a
	}
	cases := []struct {
		a     ContextAccess
		want  string
		score int
	}{
		{answered(EverythingLabel, "delete pods", "patch deployments", "read secrets", "exec into pods"), EverythingLabel, 5},
		{answered(), "none of: delete pods, patch deployments, read secrets, exec into pods", 0},
		{answered("delete pods", "read secrets"), "delete pods, read secrets; not patch deployments, exec into pods", 2},
		{answered("delete pods", "patch deployments", "read secrets", "exec into pods"), "delete pods, patch deployments, read secrets, exec into pods", 4},
		{ContextAccess{NotAsked: "why"}, "not asked: why", 0},
	}
	for _, c := range cases {
		if got := c.a.Summary(); got != c.want || c.a.Score() != c.score {
			t.Errorf("Summary() = %q (score %d), want %q (score %d)", got, c.a.Score(), c.want, c.score)
		}
	}
	if (ContextAccess{NotAsked: "x"}).Answered() || !answered().Answered() {
		t.Error("Answered")
	}
}

// Attack (surprise side effect): asking what a context may do must not run
// an auth provider or a credential plugin that may prompt for a login.
func TestAskAccessSkipsPromptingCredentials(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nobody listens: a connection is refused at once
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:" + strconv.Itoa(port)}
	cfg.AuthInfos["token"] = &clientcmdapi.AuthInfo{Token: "not-a-real-token"}
	cfg.AuthInfos["oidc"] = &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc"}}
	cfg.AuthInfos["login"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "/no/such/kubelogin", APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode}}
	for _, u := range []string{"token", "oidc", "login"} {
		cfg.Contexts[u] = &clientcmdapi.Context{Cluster: "c", AuthInfo: u}
	}
	got := AskAccess(context.Background(), cfg, []string{"token", "oidc", "login", "missing"}, "shop", 5*time.Second)
	if a := got[0]; a.NotAsked != "" || !a.Unreachable || a.Err == nil || !strings.Contains(a.Err.Error(), "connection refused") ||
		strings.Contains(a.Err.Error(), "selfsubjectaccessreviews") || strings.Contains(a.Err.Error(), "not-a-real-token") {
		t.Errorf("static token: %+v", a)
	}
	if a := got[1]; !strings.Contains(a.NotAsked, `"oidc" auth provider`) || a.Err != nil {
		t.Errorf("auth provider: %+v", a)
	}
	if a := got[2]; !strings.Contains(a.NotAsked, "plugin kubelogin, which may prompt") || a.Err != nil {
		t.Errorf("prompting plugin: %+v", a)
	}
	if a := got[3]; a.NotAsked != "no such context" {
		t.Errorf("missing context: %+v", a)
	}
}
