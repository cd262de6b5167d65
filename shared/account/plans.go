package account

// Plan is a team contract of the catalogue (A1): how many users and groups
// an account may have, and its monthly price in cents.
type Plan struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Users      int    `json:"users"`
	Groups     int    `json:"groups"`
	PriceCents int    `json:"priceCents"`
}

// Plans is the built-in catalogue.
var Plans = []Plan{
	{ID: "team-3", Name: "Team 3", Users: 3, Groups: 3, PriceCents: 1500},
	{ID: "team-10", Name: "Team 10", Users: 10, Groups: 10, PriceCents: 4500},
	{ID: "team-25", Name: "Team 25", Users: 25, Groups: 25, PriceCents: 9900},
	{ID: "team-100", Name: "Team 100", Users: 100, Groups: 100, PriceCents: 34900},
}

// DefaultPlan is what a sign-up without a choice gets.
const DefaultPlan = "team-10"

// PlanByID returns the plan with id.
func PlanByID(id string) (Plan, bool) {
	for _, p := range Plans {
		if p.ID == id {
			return p, true
		}
	}
	return Plan{}, false
}
