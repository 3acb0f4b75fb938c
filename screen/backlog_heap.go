//go:build !unix

package screen

func mapBacklog(n int) []byte { return make([]byte, n) }

func releaseBacklog([]byte) {}

func unmapBacklog([]byte) {}
