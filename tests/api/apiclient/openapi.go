package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Document is the part of the OpenAPI 3.1 document the tests read.
type Document struct {
	OpenAPI    string                           `json:"openapi"`
	Paths      map[string]map[string]*Operation `json:"paths"`
	Components struct {
		Schemas map[string]*Schema `json:"schemas"`
	} `json:"components"`
}

// Operation is one path and method of the document.
type Operation struct {
	Method      string                `json:"-"`
	Path        string                `json:"-"`
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Security    []map[string][]string `json:"security"`
	Parameters  []Parameter           `json:"parameters"`
	RequestBody *struct {
		Required bool `json:"required"`
		Content  map[string]struct {
			Schema *Schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *Schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// Parameter is a path, query or header parameter.
type Parameter struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required"`
	Schema   *Schema `json:"schema"`
}

// Schema is the part of a JSON schema the tests read.
type Schema struct {
	Ref                  string             `json:"$ref"`
	Type                 any                `json:"type"` // a name or a list of names
	Properties           map[string]*Schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *Schema            `json:"items"`
	AdditionalProperties any                `json:"additionalProperties"`
	Format               string             `json:"format"`
	Pattern              string             `json:"pattern"`
	Enum                 []any              `json:"enum"`
	MinLength            *int               `json:"minLength"`
	MaxLength            *int               `json:"maxLength"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	MinItems             *int               `json:"minItems"`
	MaxItems             *int               `json:"maxItems"`
	ReadOnly             bool               `json:"readOnly"`
	Description          string             `json:"description"`
	Default              any                `json:"default"`
	OneOf                []*Schema          `json:"oneOf"`
	AnyOf                []*Schema          `json:"anyOf"`
}

// ReadDocument fetches and decodes /v1/openapi.json.
func (c *Client) ReadDocument(ctx context.Context) (*Document, error) {
	r, err := c.Expect(ctx, http.MethodGet, "/v1/openapi.json", nil, "", http.StatusOK)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	var d Document
	if err := r.Decode(&d); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(d.OpenAPI, "3.1") || len(d.Paths) == 0 {
		return nil, fmt.Errorf("OpenAPI document %q with %d paths, want 3.1 with paths", d.OpenAPI, len(d.Paths))
	}
	for path, ops := range d.Paths {
		for method, op := range ops {
			op.Method, op.Path = strings.ToUpper(method), path
		}
	}
	return &d, nil
}

var httpMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "PATCH": true, "HEAD": true, "OPTIONS": true}

// Operations lists every operation, ordered by path and method.
func (d *Document) Operations() []*Operation {
	var out []*Operation
	for _, ops := range d.Paths {
		for _, op := range ops {
			if httpMethods[op.Method] {
				out = append(out, op)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Find returns the operation of method and path, or nil.
func (d *Document) Find(method, path string) *Operation {
	op := d.Paths[path][strings.ToLower(method)]
	if op == nil {
		return nil
	}
	return op
}

// Key is "METHOD /path".
func (op *Operation) Key() string { return op.Method + " " + op.Path }

// Secured says whether the operation needs credentials.
func (op *Operation) Secured() bool { return len(op.Security) > 0 }

var paramRe = regexp.MustCompile(`\{([^}]+)\}`)

// PathParams lists the names of the path's parameters in order.
func (op *Operation) PathParams() []string {
	var out []string
	for _, m := range paramRe.FindAllStringSubmatch(op.Path, -1) {
		out = append(out, m[1])
	}
	return out
}

// Fill substitutes the path's parameters (values are used as given; the
// caller escapes them when needed).
func (op *Operation) Fill(values map[string]string) string {
	return paramRe.ReplaceAllStringFunc(op.Path, func(m string) string {
		return values[m[1:len(m)-1]]
	})
}

// Writes says whether the operation creates or changes something through
// a request body (POST, PUT, PATCH).
func (op *Operation) Writes() bool {
	return op.Method == http.MethodPost || op.Method == http.MethodPut || op.Method == http.MethodPatch
}

// BodySchema returns the JSON request body's schema (resolved), or nil.
func (d *Document) BodySchema(op *Operation) *Schema {
	if op.RequestBody == nil {
		return nil
	}
	for ct, c := range op.RequestBody.Content {
		if strings.Contains(ct, "json") && c.Schema != nil {
			return d.Resolve(c.Schema)
		}
	}
	return nil
}

// Resolve follows $ref (within the document) until a schema without one.
func (d *Document) Resolve(s *Schema) *Schema {
	for i := 0; s != nil && s.Ref != "" && i < 16; i++ {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		s = d.Components.Schemas[name]
	}
	return s
}

// TypeName returns the schema's type, ignoring "null" in a list of types.
func (s *Schema) TypeName() string {
	switch t := s.Type.(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if n, _ := v.(string); n != "" && n != "null" {
				return n
			}
		}
	}
	if s.Properties != nil {
		return "object"
	}
	return ""
}

// IsRequired says whether the object schema requires property name.
func (s *Schema) IsRequired(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// PropertyNames lists the writable properties in a fixed order.
func (s *Schema) PropertyNames() []string {
	var out []string
	for name, p := range s.Properties {
		if p != nil && !p.ReadOnly && name != "$schema" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// MarshalIndent is json.MarshalIndent for messages.
func MarshalIndent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
