"""The report conversation: a resident (or a worker for one) files a ticket step by step."""
