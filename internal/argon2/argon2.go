// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package argon2 is golang.org/x/crypto/argon2's Argon2id (v0.59.0) with
// one change: the working memory is the caller's and is kept between
// computations, where x/crypto allocates it anew on every call (a proposal
// to let callers pool it, golang/go#36634, is open since 2020). At 19 MiB
// a hash, that allocation was a garbage collection and up to 19 MiB of
// page faults per login, or, bounded by the runtime's memory limit, a
// quarter of a login's CPU. The rest is x/crypto's code as it is, and
// TestSameAsXCrypto checks every result against x/crypto's IDKey.
//
// What differs from x/crypto, line by line: Memory; initBlocks fills the
// given blocks instead of allocating; the first pass writes each block
// instead of XOR-ing it into memory that x/crypto knew to be zero; one
// lane is computed in the calling goroutine, which yields its core between
// segments and, on Linux, measures the CPU its segments take (CPU); only
// Argon2id is kept.
package argon2

import (
	"encoding/binary"
	"runtime"
	"sync"
	stdtime "time"

	"golang.org/x/crypto/blake2b"
)

// Version is the Argon2 version implemented.
const Version = 0x13

const argon2id = 2

// Memory is the working memory of one Argon2id computation at a time,
// kept for the next one. The zero value is ready; it grows to what the
// largest computation needed. It is not safe for concurrent use.
type Memory struct {
	blocks []block
	mapped mapping // where blocks are, when outside the Go heap
	cpu    stdtime.Duration
}

// CPU is the processor time the last IDKey in m took, measured on its
// thread (Linux, one lane): what a hash costs where it runs, beside other
// work on the same cores, which a process's CPU time cannot tell apart.
// It is 0 where it is not measured.
func (m *Memory) CPU() stdtime.Duration { return m.cpu }

// KiB is how much memory m holds.
func (m *Memory) KiB() uint32 { return uint32(len(m.blocks)) }

// IDKey returns what golang.org/x/crypto/argon2.IDKey returns for the same
// arguments, computed in m.
func (m *Memory) IDKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if time < 1 {
		panic("argon2: number of rounds too small")
	}
	if threads < 1 {
		panic("argon2: parallelism degree too low")
	}
	h0 := initHash(password, salt, nil, nil, time, memory, uint32(threads), keyLen, argon2id)

	memory = memory / (syncPoints * uint32(threads)) * (syncPoints * uint32(threads))
	if memory < 2*syncPoints*uint32(threads) {
		memory = 2 * syncPoints * uint32(threads)
	}
	if uint32(len(m.blocks)) < memory {
		m.blocks = m.newBlocks(memory)
	}
	B := m.blocks[:memory]
	initBlocks(&h0, B, uint32(threads))
	m.cpu = processBlocks(B, time, memory, uint32(threads), argon2id)
	key := extractKey(B, memory, uint32(threads), keyLen)
	// B may be memory m's cleanup unmaps (memory_linux.go): m must outlive
	// every use of it.
	runtime.KeepAlive(m)
	return key
}

// Size is the memory, in KiB, IDKey needs for these parameters.
func Size(memory uint32, threads uint8) uint32 {
	memory = memory / (syncPoints * uint32(threads)) * (syncPoints * uint32(threads))
	return max(memory, 2*syncPoints*uint32(threads))
}

const (
	blockLength = 128
	syncPoints  = 4
)

type block [blockLength]uint64

func initHash(password, salt, key, data []byte, time, memory, threads, keyLen uint32, mode int) [blake2b.Size + 8]byte {
	var (
		h0     [blake2b.Size + 8]byte
		params [24]byte
		tmp    [4]byte
	)

	b2, _ := blake2b.New512(nil)
	binary.LittleEndian.PutUint32(params[0:4], threads)
	binary.LittleEndian.PutUint32(params[4:8], keyLen)
	binary.LittleEndian.PutUint32(params[8:12], memory)
	binary.LittleEndian.PutUint32(params[12:16], time)
	binary.LittleEndian.PutUint32(params[16:20], uint32(Version))
	binary.LittleEndian.PutUint32(params[20:24], uint32(mode))
	b2.Write(params[:])
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(password)))
	b2.Write(tmp[:])
	b2.Write(password)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(salt)))
	b2.Write(tmp[:])
	b2.Write(salt)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(key)))
	b2.Write(tmp[:])
	b2.Write(key)
	binary.LittleEndian.PutUint32(tmp[:], uint32(len(data)))
	b2.Write(tmp[:])
	b2.Write(data)
	b2.Sum(h0[:0])
	return h0
}

// initBlocks writes the first two blocks of each lane of B.
func initBlocks(h0 *[blake2b.Size + 8]byte, B []block, threads uint32) {
	var block0 [1024]byte
	memory := uint32(len(B))
	for lane := uint32(0); lane < threads; lane++ {
		j := lane * (memory / threads)
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 0)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+0] {
			B[j+0][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}

		binary.LittleEndian.PutUint32(h0[blake2b.Size:], 1)
		blake2bHash(block0[:], h0[:])
		for i := range B[j+1] {
			B[j+1][i] = binary.LittleEndian.Uint64(block0[i*8:])
		}
	}
}

// processBlocks returns the CPU time the segments took, when they ran in
// this goroutine and could be measured.
func processBlocks(B []block, time, memory, threads uint32, mode int) stdtime.Duration {
	lanes := memory / threads
	segments := lanes / syncPoints

	processSegment := func(n, slice, lane uint32, wg *sync.WaitGroup) {
		var addresses, in, zero block
		if mode == argon2id && n == 0 && slice < syncPoints/2 {
			in[0] = uint64(n)
			in[1] = uint64(lane)
			in[2] = uint64(slice)
			in[3] = uint64(memory)
			in[4] = uint64(time)
			in[5] = uint64(mode)
		}

		index := uint32(0)
		if n == 0 && slice == 0 {
			index = 2 // we have already generated the first two blocks
			in[6]++
			processBlock(&addresses, &in, &zero)
			processBlock(&addresses, &addresses, &zero)
		}

		offset := lane*lanes + slice*segments + index
		var random uint64
		for index < segments {
			prev := offset - 1
			if index == 0 && slice == 0 {
				prev += lanes // last block in lane
			}
			if mode == argon2id && n == 0 && slice < syncPoints/2 {
				if index%blockLength == 0 {
					in[6]++
					processBlock(&addresses, &in, &zero)
					processBlock(&addresses, &addresses, &zero)
				}
				random = addresses[index%blockLength]
			} else {
				random = B[prev][0]
			}
			newOffset := indexAlpha(random, lanes, segments, threads, n, slice, lane, index)
			if n == 0 {
				// The block's first value: what the memory held before
				// (another computation's) must not count.
				processBlock(&B[offset], &B[prev], &B[newOffset])
			} else {
				processBlockXOR(&B[offset], &B[prev], &B[newOffset])
			}
			index, offset = index+1, offset+1
		}
		wg.Done()
	}

	var cpu int64
	measured := uint32(0)
	for n := uint32(0); n < time; n++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			var wg sync.WaitGroup
			if threads == 1 {
				// One lane: in this goroutine. x/crypto starts one per
				// segment (8 a hash at 2 passes), each waking a thread that
				// may take the hash to another core, its caches cold.
				wg.Add(1)
				tid, c0 := threadClock()
				processSegment(n, slice, 0, &wg)
				if tid1, c1 := threadClock(); tid1 == tid && tid != 0 {
					cpu += c1 - c0
					measured++
				}
				// Then let the goroutines waiting for this core run (about
				// every 2 ms at 19 MiB): left to the runtime, they waited
				// for its preemption of the hash after 10 ms, by a signal
				// that cost the hash about 4 % more CPU. A key entry beside
				// busy hashes: p50/p99 13/47 → 2.5/12 ms.
				runtime.Gosched()
				continue
			}
			for lane := uint32(0); lane < threads; lane++ {
				wg.Add(1)
				go processSegment(n, slice, lane, &wg)
			}
			wg.Wait()
		}
	}
	if measured == 0 {
		return 0
	}
	// Segments are the same size: the few the runtime moved count as
	// the measured ones' mean.
	return stdtime.Duration(cpu * int64(time*syncPoints) / int64(measured))
}

func extractKey(B []block, memory, threads, keyLen uint32) []byte {
	lanes := memory / threads
	for lane := uint32(0); lane < threads-1; lane++ {
		for i, v := range B[(lane*lanes)+lanes-1] {
			B[memory-1][i] ^= v
		}
	}

	var block [1024]byte
	for i, v := range B[memory-1] {
		binary.LittleEndian.PutUint64(block[i*8:], v)
	}
	key := make([]byte, keyLen)
	blake2bHash(key, block[:])
	return key
}

func indexAlpha(rand uint64, lanes, segments, threads, n, slice, lane, index uint32) uint32 {
	refLane := uint32(rand>>32) % threads
	if n == 0 && slice == 0 {
		refLane = lane
	}
	m, s := 3*segments, ((slice+1)%syncPoints)*segments
	if lane == refLane {
		m += index
	}
	if n == 0 {
		m, s = slice*segments, 0
		if slice == 0 || lane == refLane {
			m += index
		}
	}
	if index == 0 || lane == refLane {
		m--
	}
	return phi(rand, uint64(m), uint64(s), refLane, lanes)
}

func phi(rand, m, s uint64, lane, lanes uint32) uint32 {
	p := rand & 0xFFFFFFFF
	p = (p * p) >> 32
	p = (p * m) >> 32
	return lane*lanes + uint32((s+m-(p+1))%uint64(lanes))
}
