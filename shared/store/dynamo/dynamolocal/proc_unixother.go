//go:build unix && !linux

package dynamolocal

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the server in a process group of its own, so kill
// reaches anything it starts.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func kill(cmd *exec.Cmd) { killGroup(cmd) }
