package act

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/lambda-promote/lambda-promote/internal/testenv/container"
)

// APIProxy stands between act and podman's Docker-compatible API and passes
// every request on as it is, with one addition: an image build (POST
// /build, which act sends for `uses: ./`) gets podman's
// additionalbuildcontexts parameter, which replaces each base image of the
// Dockerfile, pinned by a digest no local image can have, with its local
// stand-in. It is what `podman build --build-context REF=docker-image://LOCAL`
// does on the command line (make image), sent the way podman's remote
// client sends it; the Dockerfile and the checkout stay as they are. act has
// no option for it, and the Docker API none either.
//
// It also keeps what act asked for: the builds (their tags, and the images
// and layers they made, for the test to remove) and the containers created
// (their configuration, to compare with the runner emulation's).
type APIProxy struct {
	Socket string // where act connects: DOCKER_HOST=unix://Socket

	contexts string // the additionalbuildcontexts value
	srv      *http.Server
	ln       net.Listener

	following sync.WaitGroup // build streams not yet ended

	mu       sync.Mutex
	builds   []Build
	creates  []Create
	requests int
}

// Build is one image build act asked for.
type Build struct {
	Tags   []string // t=
	Query  string   // the query as podman got it
	Output string   // the build's progress text, as podman streamed it
	Error  string   // the error podman streamed, if any
}

// Create is one container act created.
type Create struct {
	Name   string // name=
	Config CreateConfig
}

// CreateConfig is the part of a container's configuration (Docker Engine
// API, ContainerCreate) that the runner contract is about.
type CreateConfig struct {
	Image      string
	Env        []string
	WorkingDir string
	Entrypoint []string
	Cmd        []string
	HostConfig struct {
		Binds       []string
		NetworkMode string
		Mounts      []struct {
			Type   string
			Source string
			Target string
		}
	}
}

// StartAPIProxy serves dir/docker.sock, passing requests on to podman's
// socket, with standIns put into every build.
func StartAPIProxy(podmanSocket, dir string, standIns []container.StandIn) (*APIProxy, error) {
	type buildContext struct {
		IsURL   bool
		IsImage bool
		Value   string
	}
	bc := map[string]buildContext{}
	for _, s := range standIns {
		bc[s.Ref] = buildContext{IsImage: true, Value: s.Local}
	}
	contexts, err := json.Marshal(bc)
	if err != nil {
		return nil, err
	}
	p := &APIProxy{Socket: filepath.Join(dir, "docker.sock"), contexts: string(contexts)}
	p.ln, err = net.Listen("unix", p.Socket)
	if err != nil {
		return nil, fmt.Errorf("api proxy: %w", err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "podman"
			if isBuild(r.In) {
				q := r.Out.URL.Query()
				q.Set("additionalbuildcontexts", p.contexts)
				r.Out.URL.RawQuery = q.Encode()
			}
		},
		Transport:      unixClient(podmanSocket).Transport,
		FlushInterval:  -1, // build progress and logs as they come
		ModifyResponse: p.modifyResponse,
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests++
		p.mu.Unlock()
		if isCreate(r) {
			if err := p.recordCreate(r); err != nil {
				http.Error(w, "api proxy: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(p.ln) }()
	return p, nil
}

// Close stops serving; hijacked connections (attach, exec) end with their
// containers.
func (p *APIProxy) Close() error {
	err := p.srv.Shutdown(context.Background())
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Builds are the builds act asked for, in order, once their streams have
// ended.
func (p *APIProxy) Builds() []Build {
	p.following.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Build(nil), p.builds...)
}

// Creates are the containers act created, in order.
func (p *APIProxy) Creates() []Create {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Create(nil), p.creates...)
}

// Requests is how many requests act sent.
func (p *APIProxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// apiPath matches a Docker Engine API path, with or without its version.
var apiPath = regexp.MustCompile(`^(/v[0-9.]+)?(/.*)$`)

func endpoint(r *http.Request) string {
	m := apiPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return r.URL.Path
	}
	return m[2]
}

func isBuild(r *http.Request) bool { return r.Method == http.MethodPost && endpoint(r) == "/build" }
func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && endpoint(r) == "/containers/create"
}

func (p *APIProxy) recordCreate(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var c Create
	if err := json.Unmarshal(body, &c.Config); err != nil {
		return fmt.Errorf("container create: %w", err)
	}
	c.Name = r.URL.Query().Get("name")
	p.mu.Lock()
	p.creates = append(p.creates, c)
	p.mu.Unlock()
	return nil
}

// modifyResponse follows a build's progress stream (JSON messages, one per
// line) as it passes, and records the build when the stream ends.
func (p *APIProxy) modifyResponse(resp *http.Response) error {
	if !isBuild(resp.Request) {
		return nil
	}
	u := resp.Request.URL
	b := Build{Tags: u.Query()["t"], Query: u.RawQuery}
	pr, pw := io.Pipe()
	p.following.Add(1)
	body := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(body, pw), closer(func() error {
		pw.Close()
		return body.Close()
	})}
	go func() {
		defer p.following.Done()
		var out bytes.Buffer
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var m struct {
				Stream string `json:"stream"`
				Error  string `json:"error"`
			}
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				out.WriteString(m.Stream)
				if m.Error != "" {
					b.Error = m.Error
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
		b.Output = out.String()
		p.mu.Lock()
		p.builds = append(p.builds, b)
		p.mu.Unlock()
	}()
	return nil
}

type closer func() error

func (c closer) Close() error { return c() }
