"""The internal event stream: typed events, the SQL outbox, Redis streams and consumers."""
