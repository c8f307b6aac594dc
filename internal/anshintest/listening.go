package anshintest

import (
	"bufio"
	"io"
	"regexp"
)

// listeningLine is what `anshin serve` prints once it accepts connections.
var listeningLine = regexp.MustCompile(`anshin listening on (http://\S+)`)

// ListeningURL reads the standard output of a starting `anshin serve` and
// sends the URL it listens on, once; it drains the rest so the process
// never blocks on a full pipe.
func ListeningURL(stdout io.Reader) <-chan string {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	return found
}
