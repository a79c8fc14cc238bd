// Package e2e holds the end-to-end tests: the built lambda-promote binary,
// run exactly as the GitHub runner runs a container action (INPUT_*
// variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH), against
// moto's server and, for GitHub, an httptest server judged by GitHub's own
// OpenAPI description (internal/testenv/githubapi). It has no code of its own.
package e2e
