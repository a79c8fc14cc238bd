//go:build !unix

package moto

func alive(int) bool { return false }
