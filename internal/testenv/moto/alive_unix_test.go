//go:build unix

package moto

import (
	"errors"
	"syscall"
)

// alive reports whether any process of group pgid is left.
func alive(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
