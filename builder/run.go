package builder

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// DefaultOCB runs the pinned OCB when no installed one is given.
var DefaultOCB = []string{"go", "run", "go.opentelemetry.io/collector/cmd/builder@v0.162.0"}

// runOCB runs OCB; its log goes to o.Log, its cause into the error.
func runOCB(o Options, args ...string) error {
	return runOCBEnv(o, nil, args...)
}

// runOCBEnv is runOCB with env added to the environment (OCB passes its
// environment on to go build).
func runOCBEnv(o Options, env []string, args ...string) error {
	cmdline := append(append([]string{}, o.OCB...), args...)
	if err := runIn("", o.Log, env, cmdline[0], cmdline[1:]...); err != nil {
		return fmt.Errorf("OCB (%s): %w", strings.Join(o.OCB, " "), err)
	}
	return nil
}

// runIn runs a command, teeing its output to log, and returns an error whose
// text is the command's last meaningful output line.
func runIn(dir string, log io.Writer, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(log, &buf)
	cmd.Stderr = io.MultiWriter(log, &buf)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, causeLine(buf.String()))
	}
	return nil
}

// causeLine picks the line that says why: the last line mentioning an
// error, else the last non-empty line.
func causeLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(lines[i]), "error") {
			return strings.TrimSpace(lines[i])
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
