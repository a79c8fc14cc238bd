//go:build unix && !linux

package moto

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
