package moto

import "syscall"

// setParentDeathSignal has Linux kill the server when the thread that started
// it ends, which for a Go program is when the program ends (Go keeps its
// threads; a thread only ends with a goroutine locked to it, and Start locks
// none). A test binary killed by a timeout then leaves no server behind.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
