"""Chat flows, independent of any channel: they read Inbound and write to the outbox."""
