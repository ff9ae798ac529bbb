"""API routes: each translates HTTP to a service call and the result to a public schema."""
