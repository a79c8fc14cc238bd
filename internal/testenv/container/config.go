package container

import (
	"fmt"
	"strings"
)

// Host is what decides podman's configuration on a machine.
type Host struct {
	NofileHard uint64 // hard limit of open files (ulimit -Hn); 0 for unlimited
	NprocHard  uint64 // hard limit of processes (ulimit -Hu); 0 for unlimited
	CgroupV2   bool   // /sys/fs/cgroup is the unified hierarchy alone (no hybrid mode)
	Systemd    bool   // systemd is the init system (/run/systemd/system)
	Journald   bool   // journald listens (/run/systemd/journal/socket)
}

// Limits podman's default_ulimits never go beyond.
const (
	maxNofile = 1 << 20
	maxNproc  = 32768
)

// ConfigFor is a containers.conf for host with the fixes podman 4.3 needs on
// machines like the ones this project runs on (see CONTAINERS.md of the
// team's notes), each only where it is needed:
//
//   - podman raises the open-file limit of a container beyond the hard
//     limit, which root without CAP_SYS_RESOURCE may not do ("crun:
//     setrlimit RLIMIT_NOFILE: Operation not permitted"): the limits are set
//     to the hard limits;
//   - crun refuses cgroups in hybrid mode: runc then, with cgroupfs (also
//     when systemd is not the init system, so it cannot manage cgroups);
//   - without journald, events go to a file.
func ConfigFor(h Host) string {
	nofile := h.NofileHard
	if nofile == 0 || nofile > maxNofile {
		nofile = maxNofile
	}
	nproc := h.NprocHard
	if nproc == 0 || nproc > maxNproc {
		nproc = maxNproc
	}
	var b strings.Builder
	b.WriteString("# podman's configuration for lambda-promote's container tests, written by\n")
	b.WriteString("# internal/testenv/container and named by CONTAINERS_CONF.\n")
	b.WriteString("[containers]\n")
	b.WriteString("# No more than the hard limits: root may lack CAP_SYS_RESOURCE to raise them.\n")
	fmt.Fprintf(&b, "default_ulimits = [\"nofile=%d:%d\", \"nproc=%d:%d\"]\n", nofile, nofile, nproc, nproc)
	b.WriteString("\n[engine]\n")
	if !h.CgroupV2 {
		b.WriteString("# cgroups in hybrid (or v1) mode, which crun does not support.\n")
		b.WriteString("runtime = \"runc\"\n")
	}
	if !h.CgroupV2 || !h.Systemd {
		b.WriteString("# podman manages the cgroups itself, not through systemd.\n")
		b.WriteString("cgroup_manager = \"cgroupfs\"\n")
	}
	if !h.Journald {
		b.WriteString("# journald is absent.\n")
		b.WriteString("events_logger = \"file\"\n")
	}
	return b.String()
}
