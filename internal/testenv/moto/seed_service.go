package moto

import (
	"context"
	"fmt"
	"sync"
)

// seedWorkers bounds the requests a seeding sends to moto at once: moto's
// server answers on a few threads, and more only queue there.
const seedWorkers = 4

// Service is what SeedService seeded: the functions of one serverless
// service behind one REST API stage.
type Service struct {
	Region, AccountID string
	Functions         []string // function names, in order
	RoleARN           string   // the role every function runs as
	Alias             string   // "prod", on version 1 of every function
	Version           string   // "1"
	RESTAPIID         string   // the API whose stage calls every function's alias
	Stage             string   // "prod", with lambdaAlias=prod
}

// SeedService seeds a service of n functions named PREFIX-000, PREFIX-001…
// as a team has them behind one API: one role, and for each function
// version 1 published, alias prod on it, a resource /NAME of one REST API
// whose ANY method calls NAME:${stageVariables.lambdaAlias}, the permission
// for that API to invoke prod, and new code on $LATEST ready to be
// published as version 2. The stage prod has lambdaAlias=prod.
//
// It is Demo for many functions, faster: the role, the API and its stage
// are made once instead of per function, and the functions are seeded a few
// at a time.
func (s *Server) SeedService(ctx context.Context, prefix string, n int) (Service, error) {
	if n < 1 {
		return Service{}, fmt.Errorf("seed service %s: %d functions: at least 1 is needed", prefix, n)
	}
	svc := Service{Region: s.Region, AccountID: s.AccountID, Alias: "prod", Version: "1", Stage: "prod"}
	var err error
	if svc.RoleARN, err = s.CreateRole(ctx, prefix+"-role"); err != nil {
		return svc, fmt.Errorf("seed service %s: %w", prefix, err)
	}
	svc.Functions = make([]string, n)
	spec := RESTSpec{Name: prefix + "-api", Stage: svc.Stage, Variables: map[string]string{StageVariable: svc.Alias}}
	for i := range n {
		fn := fmt.Sprintf("%s-%03d", prefix, i)
		svc.Functions[i] = fn
		spec.Methods = append(spec.Methods, RESTMethod{Path: "/" + fn, Method: "ANY", URI: s.RESTIntegrationURI(s.aliasVariableARN(fn))})
	}

	// The functions, their versions and aliases first: the API's
	// integrations only name them, but the permissions need the aliases.
	if err := s.seedEach(ctx, svc.Functions, func(ctx context.Context, fn string) error {
		if _, err := s.CreateFunction(ctx, fn, svc.RoleARN); err != nil {
			return err
		}
		v, err := s.Publish(ctx, fn)
		if err != nil {
			return err
		}
		if v != svc.Version {
			return fmt.Errorf("publish %s: got version %s, want %s", fn, v, svc.Version)
		}
		return s.CreateAlias(ctx, fn, svc.Alias, v, nil)
	}); err != nil {
		return svc, fmt.Errorf("seed service %s: %w", prefix, err)
	}
	if svc.RESTAPIID, _, err = s.RESTAPI(ctx, spec); err != nil {
		return svc, fmt.Errorf("seed service %s: %w", prefix, err)
	}
	if err := s.seedEach(ctx, svc.Functions, func(ctx context.Context, fn string) error {
		if err := s.AllowAPIGateway(ctx, fn, svc.Alias, svc.RESTAPIID); err != nil {
			return err
		}
		return s.UpdateCode(ctx, fn)
	}); err != nil {
		return svc, fmt.Errorf("seed service %s: %w", prefix, err)
	}
	return svc, nil
}

// UpdateCodeAll puts new code on $LATEST of every function, a few at a
// time, so that the next publish of each makes a new version.
func (s *Server) UpdateCodeAll(ctx context.Context, fns []string) error {
	return s.seedEach(ctx, fns, s.UpdateCode)
}

// seedEach runs do for every function, seedWorkers at a time, and returns
// the first error; the functions not started by then are left out.
func (s *Server) seedEach(ctx context.Context, fns []string, do func(ctx context.Context, fn string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	next := make(chan string)
	for range min(seedWorkers, len(fns)) {
		wg.Go(func() {
			for fn := range next {
				if err := do(ctx, fn); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for _, fn := range fns {
		select {
		case next <- fn:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The caller's context ended, not a seeding call.
		return context.Cause(ctx)
	}
	return first
}
