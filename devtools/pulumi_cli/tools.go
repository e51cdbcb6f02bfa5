//go:build tools

// Keeps the CLI's main package (and so every module it needs) in this module's graph for `go mod tidy`.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
