package audit

import (
	"path/filepath"
	"testing"
)

// BenchmarkAppend measures durable appends: lock, tail read, encode,
// write and fsync per record. Its records/s is the ceiling on audited
// actions per second, set almost entirely by the disk's fsync latency.
func BenchmarkAppend(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := sampleRecord(1)
	for b.Loop() {
		if err := l.Append(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendParallel is several goroutines sharing one Log, as the
// gateway does when requests arrive together.
func BenchmarkAppendParallel(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.RunParallel(func(pb *testing.PB) {
		r := sampleRecord(1)
		for pb.Next() {
			if err := l.Append(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify measures walking the chain.
func BenchmarkVerify(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if err := l.Append(sampleRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
	var records int
	for b.Loop() {
		rep := verifyFile(b, l.Path())
		records += rep.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
