"""Mail the desk sends and receives: the outbox, the SMTP sender, live mail in."""
