"""Developer tooling beside the library: the local stack, the on-call command line, jar resolution and the docs
generator. The Pulumi program and the Lambdas never import it."""
