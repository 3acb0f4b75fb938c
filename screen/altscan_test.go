package screen

import (
	"bytes"
	"testing"
)

func keepAll(a *altScanner, chunks ...string) string {
	var out []byte
	for _, c := range chunks {
		for _, part := range a.keep([]byte(c)) {
			out = append(out, part...)
		}
	}
	return string(out)
}

func TestAltScannerKeepsOnlyAlternateScreenOutput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
	}{
		{"before any switch, all is kept", []string{"plain terminal\r\n", "more"}, "plain terminal\r\nmore"},
		{"off drops", []string{"\x1b[?1049hK\x1b[?1049lshell output\r\n", "more"}, "\x1b[?1049hK\x1b[?1049l"},
		{"enter keeps", []string{"banner\x1b[?1049hK9S"}, "banner\x1b[?1049hK9S"},
		{"leave keeps the sequence", []string{"\x1b[?1049hK9S\x1b[?1049lshell"}, "\x1b[?1049hK9S\x1b[?1049l"},
		{"re-enter split across reads", []string{"\x1b[?1049hA\x1b[?1049lsh \x1b[?10", "49hK9S"}, "\x1b[?1049hA\x1b[?1049l\x1b[?1049hK9S"},
		{"back again", []string{"\x1b[?1049hA\x1b[?1049lsh\x1b[?1049hB"}, "\x1b[?1049hA\x1b[?1049l\x1b[?1049hB"},
		{"enter split across reads", []string{"shell \x1b[?10", "49hK9S"}, "shell \x1b[?1049hK9S"},
		{"leave split across reads", []string{"\x1b[?1049hK9S\x1b[?", "1049lshell"}, "\x1b[?1049hK9S\x1b[?1049l"},
		{"old 47 form", []string{"\x1b[?47hX\x1b[?47ly"}, "\x1b[?47hX\x1b[?47l"},
		{"one byte at a time", splitBytes("a\x1b[?1049hK\x1b[?1049lb\x1b[?1049hC"), "a\x1b[?1049hK\x1b[?1049l\x1b[?1049hC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keepAll(&altScanner{}, tc.chunks...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func splitBytes(s string) []string {
	var out []string
	for i := range len(s) {
		out = append(out, s[i:i+1])
	}
	return out
}

// FuzzAltScanner: whatever the chunking, the kept bytes are the same as
// for the whole stream at once.
func FuzzAltScanner(f *testing.F) {
	f.Add([]byte("x\x1b[?1049hK9S\x1b[?1049ly\x1b[?47hz"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		n := int(step%16) + 1
		var chunks []string
		for i := 0; i < len(data); i += n {
			chunks = append(chunks, string(data[i:min(i+n, len(data))]))
		}
		whole := keepAll(&altScanner{}, string(data))
		split := keepAll(&altScanner{}, chunks...)
		if whole != split {
			t.Fatalf("chunking changed the result:\nwhole %q\nsplit %q", whole, split)
		}
		if !bytes.Contains(data, []byte("\x1b[?")) && whole != string(data) {
			t.Fatalf("a stream with no mode switch must be kept whole, kept %q", whole)
		}
	})
}
