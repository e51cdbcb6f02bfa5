"""The connector's health check: checks, restart budget, metrics and the run that ties them together.

Every module takes its AWS, Kafka and Connect clients and its clock as arguments, so tests drive the same code
the Lambda runs.
"""
