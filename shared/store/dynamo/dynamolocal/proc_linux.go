package dynamolocal

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the server in a process group of its own, so kill
// reaches anything it starts, and has the kernel kill it when the thread
// that started it ends (see Server.run).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func kill(cmd *exec.Cmd) { killGroup(cmd) }
