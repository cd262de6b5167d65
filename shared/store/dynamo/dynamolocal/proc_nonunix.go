//go:build !unix

package dynamolocal

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
