"""The stand-in source where Oracle cannot run: a local PostgreSQL and Debezium's PostgreSQL connector."""
