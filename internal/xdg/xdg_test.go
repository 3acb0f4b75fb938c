package xdg

import "testing"

func TestBaseDirectories(t *testing.T) {
	for _, tc := range []struct {
		env                 map[string]string
		config, state, data string
	}{
		{map[string]string{"HOME": "/h"}, "/h/.config", "/h/.local/state", "/h/.local/share"},
		{map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s", "XDG_DATA_HOME": "/d"}, "/c", "/s", "/d"},
		// The specification: a relative XDG_* value is invalid and ignored.
		{map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "c", "XDG_STATE_HOME": "s", "XDG_DATA_HOME": "d"}, "/h/.config", "/h/.local/state", "/h/.local/share"},
		// No absolute home: no directory, rather than one under the cwd.
		{map[string]string{"HOME": "rel"}, "", "", ""},
		{map[string]string{}, "", "", ""},
		{map[string]string{"XDG_STATE_HOME": "/s"}, "", "/s", ""},
	} {
		getenv := func(k string) string { return tc.env[k] }
		if got := ConfigHome(getenv); got != tc.config {
			t.Errorf("ConfigHome(%v) = %q, want %q", tc.env, got, tc.config)
		}
		if got := StateHome(getenv); got != tc.state {
			t.Errorf("StateHome(%v) = %q, want %q", tc.env, got, tc.state)
		}
		if got := DataHome(getenv); got != tc.data {
			t.Errorf("DataHome(%v) = %q, want %q", tc.env, got, tc.data)
		}
	}
	for env, want := range map[string]string{"/run/user/1000": "/run/user/1000", "run": "", "": ""} {
		if got := RuntimeDir(func(string) string { return env }); got != want {
			t.Errorf("RuntimeDir(%q) = %q, want %q", env, got, want)
		}
	}
}
