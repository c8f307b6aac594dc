package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anshin/anshin/internal/anshintest"
)

// instance is one `anshin serve` process.
type instance struct {
	URL     string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	started time.Time
	ready   time.Duration // from exec to listening
}

var (
	procMu sync.Mutex
	procs  []*instance
)

// testSecretKey is the secret every instance of a row shares.
const testSecretKey = "fae1744c31ded4ee5bf0911747169a91ff1e1cccb2e72549359eba32400e94e9"

// operatorToken opens the operator API, for provisioning.
const operatorToken = "torture-operator-token-0123456789"

// baseEnv is what every instance gets; rows add to it.
func baseEnv(dbURL string) map[string]string {
	return map[string]string{
		"ANSHIN_DATABASE_URL":          dbURL,
		"ANSHIN_HTTP_ADDR":             "127.0.0.1:0",
		"ANSHIN_SECRET_KEY":            testSecretKey,
		"ANSHIN_OPERATOR_TOKEN":        operatorToken,
		"ANSHIN_ARGON2_MEMORY_KIB":     "1024",
		"ANSHIN_ARGON2_TIME":           "1",
		"ANSHIN_KEY_COOLDOWN":          "0s",
		"ANSHIN_KEYS_PER_ACCOUNT_HOUR": "1000",
		"ANSHIN_KEYS_PER_FLOW":         "100",
		"ANSHIN_FLOWS_PER_CLIENT":      "0", // every client is 127.0.0.1
		"ANSHIN_SMS_PER_ACCOUNT_HOUR":  "1000",
		"ANSHIN_SMS_PER_NUMBER_HOUR":   "1000",
		"ANSHIN_SMS_GLOBAL_HOUR":       "1000000",
		"ANSHIN_LOG_LEVEL":             "warn",
		"ANSHIN_LOG_FORMAT":            "json",
	}
}

func with(env map[string]string, pairs ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			delete(out, pairs[i])
			continue
		}
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

var logSeq int

// start runs `anshin serve args…` with env alone (and PATH, HOME) and
// waits until it listens.
func (e *env) start(env map[string]string, args ...string) *instance {
	cmd := exec.Command(e.bin, append([]string{"serve"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	procMu.Lock()
	logSeq++
	n := logSeq
	procMu.Unlock()
	cmd.Dir = e.work
	inst := &instance{cmd: cmd, done: make(chan struct{}), logPath: filepath.Join(e.work, fmt.Sprintf("serve-%03d.log", n))}
	logf, err := os.Create(inst.logPath)
	must(err, "log file")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	must(err, "stdout")
	inst.started = time.Now()
	must(cmd.Start(), "start anshin serve")
	go func() { cmd.Wait(); logf.Close(); close(inst.done) }()
	procMu.Lock()
	procs = append(procs, inst)
	procMu.Unlock()
	found := anshintest.ListeningURL(stdout)
	select {
	case inst.URL = <-found:
		inst.ready = time.Since(inst.started)
		return inst
	case <-inst.done:
		fatalf("anshin serve ended before listening:\n%s", inst.logTail(3000))
	case <-time.After(90 * time.Second): // a failsafe
		fatalf("anshin serve did not listen within 90 s:\n%s", inst.logTail(3000))
	}
	return nil
}

func (i *instance) pid() int { return i.cmd.Process.Pid }

// kill ends the process at once, as a crash would.
func (i *instance) kill() {
	i.cmd.Process.Signal(syscall.SIGKILL)
	<-i.done
}

// stop sends SIGTERM and waits, killing after 30 s.
func (i *instance) stop() {
	select {
	case <-i.done:
		return
	default:
	}
	i.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-i.done:
	case <-time.After(30 * time.Second):
		i.kill()
	}
}

func (i *instance) alive() bool {
	select {
	case <-i.done:
		return false
	default:
		return true
	}
}

func (i *instance) logText() string {
	b, _ := os.ReadFile(i.logPath)
	return string(b)
}

func (i *instance) logTail(n int) string {
	s := i.logText()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// panics counts the panic lines the instance logged.
func (i *instance) panics() int {
	n := 0
	for _, l := range strings.Split(i.logText(), "\n") {
		if strings.Contains(l, `"msg":"panic"`) || strings.HasPrefix(l, "panic:") || strings.Contains(l, "http: panic serving") {
			n++
		}
	}
	return n
}

// stopAll stops every instance still running.
func stopAll() {
	procMu.Lock()
	ps := procs
	procs = nil
	procMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(p.stop)
	}
	wg.Wait()
}
