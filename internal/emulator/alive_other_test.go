//go:build !unix

package emulator

func alive(int) bool { return false }
