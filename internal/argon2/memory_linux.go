package argon2

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on x86-64 (and arm64
// with 4 KiB pages).
const hugePage = 2 << 20

// mapping is memory mapped for blocks outside the Go heap.
type mapping struct {
	mem     []byte
	cleanup runtime.Cleanup
}

// newBlocks maps n blocks of memory of their own, outside the Go heap, and
// asks the kernel to back them with transparent huge pages: Argon2id reads
// its reference blocks from all over the memory, so with 4 KiB pages nearly
// every one costs a TLB miss (about 8 % of a 19 MiB hash on the development
// machine). The mapping starts on a huge page boundary; it is unmapped when
// m grows again or is collected. Where mapping fails, the blocks come from
// the Go heap, as elsewhere.
func (m *Memory) newBlocks(n uint32) []block {
	m.blocks = nil
	if old := m.mapped.mem; old != nil {
		m.mapped.cleanup.Stop()
		m.mapped = mapping{}
		syscall.Munmap(old)
	}
	size := int(n) * blockLength * 8
	// Whole huge pages, the last one too: 19 MiB is 9.5 of them, and
	// left on 4 KiB pages its last half cost about 2 % of a hash.
	size = (size + hugePage - 1) / hugePage * hugePage
	mem, err := syscall.Mmap(-1, 0, size+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return make([]block, n)
	}
	off := (hugePage - int(uintptr(unsafe.Pointer(&mem[0])))%hugePage) % hugePage
	// Advice only: a kernel without transparent huge pages, or with them
	// off, gives 4 KiB pages, which work the same.
	_ = syscall.Madvise(mem[off:off+size], syscall.MADV_HUGEPAGE)
	m.mapped = mapping{mem: mem, cleanup: runtime.AddCleanup(m, func(mem []byte) { syscall.Munmap(mem) }, mem)}
	return unsafe.Slice((*block)(unsafe.Pointer(&mem[off])), n)
}

// MapsMemory says whether a Memory's blocks are mapped outside the Go
// heap, where the runtime's memory limit does not count them.
const MapsMemory = true

// threadClock is the calling thread's ID and the CPU time it has used.
// A segment is measured when it starts and ends on the same thread, as it
// does unless the runtime preempts it (a collection's stop, or a segment
// longer than 10 ms).
func threadClock() (tid int, cpu int64) {
	var ts syscall.Timespec
	// CLOCK_THREAD_CPUTIME_ID; RawSyscall: the goroutine must not move
	// between the two calls.
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, 0
	}
	return syscall.Gettid(), ts.Nano()
}
