package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// fileContext returns the "context" object of the cdk.json at path. The
// CDK CLI passes that object to the app itself; reading it here lets
// `go run ./infra/aws` and the tests synthesize with the same feature flags
// as `cdk synth`.
func fileContext(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cdk context: %w", err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("parse cdk context %s: %w", path, err)
	}
	return file.Context, nil
}
