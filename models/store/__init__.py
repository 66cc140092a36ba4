"""Storage plumbing: the database, prepared statements, inbound reads, seen keys, the unit of work."""
