package accounts

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/events/webhook"
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

// WithWebhookURLs returns Register with webhook URLs held to urls rather
// than account.StrictURLs: the local stack admits http and loopback
// consumers.
func WithWebhookURLs(urls account.URLPolicy) api.Registrar {
	return func(mux *http.ServeMux, a huma.API, deps api.Deps) { register(mux, a, deps, urls) }
}

// webhooks serves the webhook settings, the delivery log and its actions.
type webhooks struct {
	svc  *account.Service
	d    *webhook.Deliverer
	urls account.URLPolicy
}

func registerWebhooks(a huma.API, h handlers, deps api.Deps, urls account.URLPolicy) {
	d, err := webhook.New(webhook.Config{URLs: urls}, deps.Store, h.svc.Sealer(), deps.Logger)
	if err != nil {
		panic(err) // Register runs with the store and the account domain, or not at all
	}
	w := webhooks{svc: h.svc, d: d, urls: urls}
	tag := []string{"Webhooks"}
	huma.Register(a, huma.Operation{OperationID: "get-webhooks", Method: http.MethodGet, Path: "/v1/webhooks", Tags: tag,
		Summary: "Read the webhook settings", Description: "The URLs that receive call events, per-user overrides, and whether a signing secret exists. Admins only.",
		Security: api.Secured}, w.get)
	huma.Register(a, huma.Operation{OperationID: "set-webhooks", Method: http.MethodPut, Path: "/v1/webhooks", Tags: tag,
		Summary: "Replace the webhook settings",
		Description: "A URL for incoming and one for outgoing calls, each optionally limited to users and groups, and per-user overrides. " +
			"The first settings make the signing secret, shown in this answer only. Admins only.",
		Security: api.Secured}, w.set)
	huma.Register(a, huma.Operation{OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: "/v1/webhooks/secret/rotate", Tags: tag,
		Summary: "Rotate the signing secret", Description: "Makes a new signing secret, shown in this answer only; requests are signed with it from now on. Admins only.",
		Security: api.Secured}, w.rotate)
	huma.Register(a, huma.Operation{OperationID: "test-webhooks", Method: http.MethodPost, Path: "/v1/webhooks/test", Tags: tag,
		Summary: "Send a test event", Description: "Posts a signed event=test request to every URL and answers the attempts, which also go to the delivery log. Admins only.",
		Security: api.Secured}, w.test)
	huma.Register(a, huma.Operation{OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/v1/webhooks/deliveries", Tags: tag,
		Summary: "Read the delivery log", Description: "Every attempt of the last 30 days, newest first: the body sent, the answer's status, latency and error. Admins only.",
		Security: api.Secured}, w.deliveries)
	huma.Register(a, huma.Operation{OperationID: "resend-webhook-delivery", Method: http.MethodPost, Path: "/v1/webhooks/deliveries/{deliveryId}/resend", Tags: tag,
		Summary: "Resend a delivery", Description: "Posts the logged body again to its URL, freshly signed, with the same event id, and answers the new attempt. Admins only.",
		Security: api.Secured}, w.resend)
}

type webhooksOut struct{ Body account.WebhookInfo }

func (w webhooks) get(ctx context.Context, _ *struct{}) (*webhooksOut, error) {
	info, err := w.svc.Webhooks(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	return &webhooksOut{Body: info}, nil
}

type webhooksIn struct{ Body account.WebhookSettings }

func (w webhooks) set(ctx context.Context, in *webhooksIn) (*webhooksOut, error) {
	info, err := w.svc.SetWebhooks(ctx, api.Principal(ctx), in.Body, w.urls)
	if err != nil {
		return nil, api.Err(err)
	}
	return &webhooksOut{Body: info}, nil
}

func (w webhooks) rotate(ctx context.Context, _ *struct{}) (*webhooksOut, error) {
	info, err := w.svc.RotateWebhookSecret(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	return &webhooksOut{Body: info}, nil
}

type deliveriesOut struct {
	Body struct {
		Items []webhook.Delivery `json:"items"`
		Next  string             `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (w webhooks) test(ctx context.Context, _ *struct{}) (*deliveriesOut, error) {
	ds, err := w.d.Test(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &deliveriesOut{}
	out.Body.Items = ds
	return out, nil
}

func (w webhooks) deliveries(ctx context.Context, in *api.PageIn) (*deliveriesOut, error) {
	ds, next, err := w.d.Deliveries(ctx, api.Principal(ctx), in.Cursor, in.Limit)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &deliveriesOut{}
	out.Body.Items, out.Body.Next = ds, next
	return out, nil
}

type deliveryIn struct {
	DeliveryID string `path:"deliveryId" maxLength:"40"`
}

type deliveryOut struct{ Body webhook.Delivery }

func (w webhooks) resend(ctx context.Context, in *deliveryIn) (*deliveryOut, error) {
	e, err := w.d.Resend(ctx, api.Principal(ctx), in.DeliveryID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &deliveryOut{Body: e}, nil
}
