"""Operability: what the running server tells an operator, and nothing else.

`metrics` (Prometheus counters, gauges, histograms and the `/metrics` route),
`logging` with `log_context` and `redaction` (one JSON object per log line,
carrying the ids of the request it belongs to, never a secret), `readiness`
(`/ready` for load balancers), `backlog` (what Redis holds that is not yet
durable), `middleware` (per-request ids and timings) and `effective_config`
(what `run.py config` prints). This package observes; it never decides
anything about money or players.
"""
