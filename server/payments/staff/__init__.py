"""What staff do to payments: the actions (actions.py), shared by the command line
(server/payments/admin.py) and the staff HTTP API (routes.py)."""
