"""Messages to voters: the sender interface and the outbox (notifications), the worker that delivers
it (delivery) and sealing of message bodies at rest. May import: clock, audit."""
