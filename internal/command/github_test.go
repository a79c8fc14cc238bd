package command

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambda-promote/lambda-promote/internal/config"
	"github.com/lambda-promote/lambda-promote/internal/notify"
	"github.com/lambda-promote/lambda-promote/internal/report"
)

func TestReadRunContext(t *testing.T) {
	t.Parallel()
	const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	tests := []struct {
		name    string
		env     map[string]string
		want    runContext
		wantErr string
	}{
		{
			name: "github.com, a re-run",
			env: map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com",
				"GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "99", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_SHA": sha,
				"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "hubot",
				"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/no/such/event.json",
			},
			want: runContext{
				run: report.Run{ServerURL: "https://github.com", Repository: "o/r", ID: 99, Attempt: 2, SHA: sha, Actor: "octocat", TriggeringActor: "hubot"},
				notify: notify.Env{APIURL: "https://api.github.com", Repository: "o/r", EventName: "push", EventPath: "/no/such/event.json", SHA: sha,
					RunURL: "https://github.com/o/r/actions/runs/99/attempts/2"},
			},
		},
		{
			name: "GHES",
			env: map[string]string{
				"GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_API_URL": "https://ghe.example.com/api/v3",
				"GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7", "GITHUB_EVENT_NAME": "pull_request",
			},
			want: runContext{
				run:    report.Run{ServerURL: "https://ghe.example.com", Repository: "o/r", ID: 7},
				notify: notify.Env{APIURL: "https://ghe.example.com/api/v3", Repository: "o/r", EventName: "pull_request", RunURL: "https://ghe.example.com/o/r/actions/runs/7"},
			},
		},
		{
			name: "a terminal",
			env:  map[string]string{},
			want: runContext{
				run:    report.Run{ServerURL: "https://github.com"},
				notify: notify.Env{APIURL: "https://api.github.com"},
			},
		},
		{
			name: "an attempt that is not a number",
			env:  map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "x"},
			want: runContext{
				run:    report.Run{ServerURL: "https://github.com", Repository: "o/r", ID: 7},
				notify: notify.Env{APIURL: "https://api.github.com", Repository: "o/r", RunURL: "https://github.com/o/r/actions/runs/7"},
			},
			wantErr: "GITHUB_* variables",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readRunContext(func(k string) string { return tc.env[k] })
			if tc.wantErr == "" && err != nil {
				t.Errorf("error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(runContext{})); diff != "" {
				t.Errorf("readRunContext (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFillDefaultsDescription(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		run  report.Run
		want string
	}{
		{report.Run{SHA: "6dcb09b5b57875f3", ID: 42}, "lambda-promote: commit 6dcb09b, run 42"},
		{report.Run{SHA: "6dcb09b5b57875f3"}, "lambda-promote: commit 6dcb09b"},
		{report.Run{}, "lambda-promote"},
	} {
		var cfg config.Config
		fillDefaults(&cfg, tc.run, "push")
		if cfg.Description != tc.want {
			t.Errorf("fillDefaults(%+v): description %q, want %q", tc.run, cfg.Description, tc.want)
		}
	}
}
