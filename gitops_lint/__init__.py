"""gitops-lint: an offline linter for Flux CD GitOps repositories."""

from .core.dataclass_code import install as _install_dataclass_code

__version__ = "0.1.0"

# before any module of the package defines a dataclass: their methods compiled ahead
_install_dataclass_code()
