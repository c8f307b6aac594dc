//go:build !linux

package argon2

// mapping is Linux's; elsewhere blocks are on the Go heap.
type mapping struct{}

func (m *Memory) newBlocks(n uint32) []block { return make([]block, n) }

// MapsMemory says whether a Memory's blocks are mapped outside the Go
// heap, where the runtime's memory limit does not count them.
const MapsMemory = false

// threadClock measures nothing here: CPU reports 0.
func threadClock() (tid int, cpu int64) { return 0, 0 }
