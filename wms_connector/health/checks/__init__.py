"""One module per thing the health check looks at; each returns findings and never raises for an unhealthy
target (only for a programming error), so one broken check cannot hide the others."""
