"""gitops-lint: an offline linter for Flux CD GitOps repositories."""

__version__ = "0.1.0"
