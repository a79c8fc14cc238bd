package container

import (
	"os"
	"syscall"
)

// rlimInfinity is RLIM_INFINITY as the kernel reports it in an Rlimit.
const rlimInfinity = ^uint64(0)

// cgroup2Magic is the file-system type of a cgroup v2 mount (statfs(2)).
const cgroup2Magic = 0x63677270

// probeHost reads the facts ConfigFor needs from this machine.
func probeHost() Host {
	var h Host
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Max != rlimInfinity {
		h.NofileHard = lim.Max
	}
	// RLIMIT_NPROC is 6 on Linux; the syscall package does not name it.
	const rlimitNproc = 6
	if syscall.Getrlimit(rlimitNproc, &lim) == nil && lim.Max != rlimInfinity {
		h.NprocHard = lim.Max
	}
	var fs syscall.Statfs_t
	if syscall.Statfs("/sys/fs/cgroup", &fs) == nil && fs.Type == cgroup2Magic {
		h.CgroupV2 = true
	}
	h.Systemd = exists("/run/systemd/system")
	h.Journald = exists("/run/systemd/journal/socket")
	return h
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
