package vt

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestFlushASCIIIsSegmenterResult: flushGrapheme's shortcut for a lone
// printable ASCII character gives what the segmenter gives.
func TestFlushASCIIIsSegmenterResult(t *testing.T) {
	for c := byte(ansi.SP); c < ansi.DEL; c++ {
		cluster, width := ansi.FirstGraphemeCluster([]byte{c}, ansi.GraphemeWidth)
		if string(cluster) != asciiStrings[c] || width != 1 {
			t.Errorf("%q: segmenter gives %q width %d", c, cluster, width)
		}
	}
}
