package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// localRegistry is go-containerregistry's registry, in this process, on a
// free port of 127.0.0.1, keeping blobs in a folder.
type localRegistry struct {
	Host string // 127.0.0.1:PORT
	srv  *http.Server
	done chan error
}

func startRegistry(blobs string) (*localRegistry, error) {
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, fmt.Errorf("start the registry: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the registry: %w", err)
	}
	r := &localRegistry{
		Host: ln.Addr().String(),
		srv: &http.Server{
			Handler: registry.New(
				registry.WithBlobHandler(registry.NewDiskBlobHandler(blobs)),
				registry.Logger(log.New(io.Discard, "", 0)),
			),
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(ln) }()
	return r, nil
}

func (r *localRegistry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if serr := <-r.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// manifest is what a pull of one image reads: an image manifest (OCI or
// Docker schema 2), the configuration and the layers, each with its size.
type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// compressed is what a pull downloads: the configuration and every layer,
// compressed, as the registry holds them (the manifest itself aside).
func (m manifest) compressed() int64 {
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// manifestOf reads the manifest of repo@digest from the registry at host.
func manifestOf(ctx context.Context, host, repo, digest string) (manifest, error) {
	url := "http://" + host + "/v2/" + repo + "/manifests/" + digest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return manifest{}, err
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return manifest{}, fmt.Errorf("get manifest %s@%s: %w", repo, digest, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return manifest{}, fmt.Errorf("get manifest %s@%s: %w", repo, digest, err)
	}
	if resp.StatusCode != http.StatusOK {
		return manifest{}, fmt.Errorf("get manifest %s@%s: %s: %s", repo, digest, resp.Status, body)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return manifest{}, fmt.Errorf("read manifest %s@%s: %w", repo, digest, err)
	}
	if len(m.Layers) == 0 {
		return manifest{}, fmt.Errorf("manifest %s@%s (%s) lists no layers", repo, digest, m.MediaType)
	}
	return m, nil
}
