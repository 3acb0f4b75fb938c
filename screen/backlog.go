package screen

// backlog holds K9s output queued for the emulator and not yet digested:
// a ring of size bytes (maxBacklog), mapped outside the Go heap where the
// system allows, in which the stream's byte at offset o is at (o-base) mod
// size.
//
// A flood (32 MiB of full-screen redraws at full speed) waits here until it
// pauses. Kept in a slice grown by append, it cost the terminal's path a
// copy of the backlog at every doubling, a page fault per 4 KiB of fresh
// memory, and garbage collections (the heap doubled with it): a fifth of
// the guard's CPU in a flood each. Here each byte is copied once, floods
// beyond the first 2 MiB go to huge pages where there are any, nothing in
// it is the collector's, and its pages go back to the system once the
// emulator has caught up.
type backlog struct {
	size int // maxBacklog; smaller in tests
	mem  []byte
	base uint64 // stream offset at ring position 0
	high int    // ring positions touched since the pages were last released
}

// maxBacklog bounds the output queued and not yet digested: past it the
// terminal waits for the emulator (K9s itself draws far less than this).
const maxBacklog = 48 << 20

// releaseAbove is how much of the ring may stay resident once emptied:
// K9s's ordinary output never goes past it.
const releaseAbove = 2 << 20

// put copies p to the stream offset at; the caller has made room.
func (b *backlog) put(at uint64, p []byte) {
	if b.mem == nil {
		b.mem = mapBacklog(b.size)
	}
	for len(p) > 0 {
		i := int((at - b.base) % uint64(b.size))
		n := copy(b.mem[i:], p)
		b.high = max(b.high, i+n)
		p, at = p[n:], at+uint64(n)
	}
}

// span returns the stream's bytes [from, to) as one or two slices of the
// ring (two where it wraps).
func (b *backlog) span(from, to uint64) (first, second []byte) {
	if from == to {
		return nil, nil
	}
	i := int((from - b.base) % uint64(b.size))
	n := int(to - from)
	if i+n <= b.size {
		return b.mem[i : i+n], nil
	}
	return b.mem[i:], b.mem[:n-(b.size-i)]
}

// emptied is told the ring holds nothing now, the stream being at offset
// at: the next byte goes to ring position 0, and after a flood the pages
// it touched past releaseAbove go back to the system.
func (b *backlog) emptied(at uint64) {
	b.base = at
	if b.high > releaseAbove && b.size > releaseAbove {
		releaseBacklog(b.mem[releaseAbove:b.high])
		b.high = releaseAbove
	}
}

// wantsAhead reports whether the ring should be made resident ahead of
// the stream, now at offset at: in a flood (the backlog past half of
// releaseAbove, where K9s's ordinary output never goes) that is coming
// near the end of what has been touched.
func (b *backlog) wantsAhead(at uint64) bool {
	i := int((at - b.base) % uint64(b.size))
	return b.mem != nil && i >= releaseAbove/2 && i+prefaultAhead/2 > b.high && b.high < b.size
}

// ahead is the part of the ring to make resident before the stream, now
// at offset at, gets there: up to prefaultAhead bytes past it that nothing
// has touched yet. It counts as touched from now on.
func (b *backlog) ahead(at uint64) []byte {
	if b.mem == nil {
		return nil
	}
	i := int((at - b.base) % uint64(b.size))
	lo, hi := b.high&^(pageSize-1), min(b.size, i+prefaultAhead)
	if hi <= b.high {
		return nil
	}
	b.high = hi
	return b.mem[lo:hi] // from a page boundary, as madvise wants
}

// pageSize divides the system's page size (4 KiB, 16 KiB).
const pageSize = 4 << 10

// prefaultAhead is how far ahead of a flood the ring is made resident.
const prefaultAhead = 8 << 20

// free unmaps the ring; nothing may use it after.
func (b *backlog) free() {
	if b.mem != nil {
		unmapBacklog(b.mem)
		b.mem = nil
	}
}
