package main

import shared "github.com/anshin/anshin/internal/procs"

// The sinks are internal/procs', shared with cmd/anshin-bench.
type (
	keyBox   = shared.KeyBox
	mailSink = shared.MailSink
)

func newKeyBox() *keyBox { return shared.NewKeyBox() }

func newMailSink(box *keyBox) *mailSink {
	s, err := shared.NewMailSink(box)
	must(err, "SMTP sink")
	return s
}

func newSMSSink(box *keyBox) *shared.SMSSink {
	s, err := shared.NewSMSSink(box)
	must(err, "SMS sink")
	return s
}

// memoryKiB reads VmRSS and VmHWM (the peak) of pid.
var memoryKiB = shared.MemoryKiB
