"""The local Kafka + Connect stack: settings, processes, the broker's files, the stack, its connector step and
its command line. Developer tooling: never shipped to the Lambdas."""
