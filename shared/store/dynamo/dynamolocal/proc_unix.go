//go:build unix

package dynamolocal

import (
	"os/exec"
	"syscall"
)

// killGroup kills the server's process group; the in-memory server has
// nothing to save, so there is no gentler signal first.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
