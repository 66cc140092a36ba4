"""The report's steps, one module per question; each answer says which step comes next (a Go)."""
