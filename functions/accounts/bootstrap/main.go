// Command bootstrap is the accounts function on AWS Lambda
// (provided.al2023). API Gateway also routes the API document
// (/v1/openapi.json) here, so it mounts every HTTP function's operations to
// describe them all; it is sent only the accounts function's paths.
package main

import (
	"github.com/switchboard/switchboard/functions/accounts"
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/billing"
	"github.com/switchboard/switchboard/functions/groups"
	"github.com/switchboard/switchboard/functions/numbers"
	"github.com/switchboard/switchboard/functions/users"
	"github.com/switchboard/switchboard/functions/verification"
	"github.com/switchboard/switchboard/functions/vouchers"
)

func main() {
	api.ServeLambda(accounts.Register, users.Register, groups.Register, numbers.Register,
		billing.Register, vouchers.Register, verification.Register)
}
