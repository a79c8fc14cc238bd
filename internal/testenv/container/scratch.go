package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// caBundles are where Linux distributions keep the CA bundle; the first
// found is copied into images.
var caBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"/etc/ssl/ca-bundle.pem",             // openSUSE
}

// caBundle is the host's CA bundle.
func caBundle() (string, error) {
	for _, p := range caBundles {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no CA bundle found on this host (looked at %v)", caBundles)
}

// scratchContainerfile is the image of a built binary: nothing but the
// binary and the CA certificates, with the Dockerfile's ENTRYPOINT.
const scratchContainerfile = `FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY lambda-promote /lambda-promote
ENTRYPOINT ["/lambda-promote"]
`

// BuildScratch builds image tag FROM scratch with the host's CA certificates
// and binary (a static lambda-promote) as /lambda-promote, its entry point.
// No registry is needed.
func (e *Engine) BuildScratch(ctx context.Context, tag, binary string) error {
	dir, err := os.MkdirTemp("", "lambda-promote-scratch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ca, err := caBundle()
	if err != nil {
		return err
	}
	if err := errors.Join(
		copyFile(ca, filepath.Join(dir, "ca-certificates.crt"), 0o644),
		copyFile(binary, filepath.Join(dir, "lambda-promote"), 0o755),
		os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(scratchContainerfile), 0o644),
	); err != nil {
		return fmt.Errorf("build %s: %w", tag, err)
	}
	if _, err := e.Output(ctx, "build", "--quiet", "--pull=never", "--tag", tag, "--file", filepath.Join(dir, "Containerfile"), dir); err != nil {
		return fmt.Errorf("build %s: %w", tag, err)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
