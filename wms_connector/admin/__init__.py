"""The connector admin: the reconciler (reconciler.py), the on-call operations on top of it (operations.py), the
JSON protocol the admin Lambda speaks (protocol.py) and the Lambda's environment (environment.py)."""
