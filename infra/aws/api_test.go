package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/switchboard/switchboard/functions/gateway"
)

// expectedRoutes derives the route keys from the gateway's routing table
// independently of the stack code, mapped to the function that serves them.
func expectedRoutes() map[string]string {
	want := map[string]string{"GET /healthz": "accounts"}
	for _, f := range gateway.HTTP {
		for _, p := range f.Prefixes {
			if p == "/v1/openapi.json" {
				want["GET "+p] = f.Name
				continue
			}
			want["ANY "+p] = f.Name
			want["ANY "+p+"/{proxy+}"] = f.Name
		}
	}
	return want
}

func (s synthesized) testAPI(t *testing.T) {
	want := expectedRoutes()
	counts := []struct {
		typ   string
		props props
		n     int
	}{
		{"AWS::ApiGatewayV2::Api", props{"ProtocolType": "HTTP"}, 1},
		{"AWS::ApiGatewayV2::Integration", props{"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"}, len(gateway.HTTP)},
		{"AWS::ApiGatewayV2::Route", props{}, len(want)},
	}
	for _, c := range counts {
		t.Run(c.typ, func(t *testing.T) {
			check(t, func() { s.template.ResourceCountIs(jsii.String(c.typ), jsii.Number(c.n)) })
			check(t, func() { s.template.ResourcePropertiesCountIs(jsii.String(c.typ), c.props, jsii.Number(c.n)) })
		})
	}
	functionByID := make(map[string]string)
	for _, name := range gateway.Names() {
		functionByID[s.functionID(t, name)] = name
	}
	for _, key := range slices.Sorted(maps.Keys(want)) {
		fn := want[key]
		t.Run(key, func(t *testing.T) {
			check(t, func() {
				s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), props{"RouteKey": key})
			})
			route := s.logicalID(t, "AWS::ApiGatewayV2::Route", func(_ string, r resource) bool {
				return r.Properties["RouteKey"] == key
			})
			integration := s.logicalID(t, "AWS::ApiGatewayV2::Integration", func(id string, _ resource) bool {
				return refersTo(s.resources[route].Properties["Target"], id)
			})
			target := s.resources[integration].Properties["IntegrationUri"]
			got := ""
			for id, name := range functionByID {
				if refersTo(target, id) {
					got = name
				}
			}
			if got != fn {
				t.Errorf("route %q is served by function %q, want %q", key, got, fn)
			}
		})
	}
}
