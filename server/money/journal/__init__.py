"""The journal: the Redis streams that money scripts append to, and the writers that make
each entry durable in SQL (one table of writers, the flusher process, dead letters)."""
