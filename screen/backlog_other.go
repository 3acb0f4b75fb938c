//go:build !linux

package screen

func adviseHuge([]byte) {}

func populate([]byte) {}
