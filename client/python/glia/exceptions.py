"""The exceptions of the Python Glia, with the same names and hierarchy."""


class GliaError(Exception):
    """Anything Glia could not do; the message says what to do about it."""


class ResolveError(GliaError):
    """An asset name could not be turned into one mechanism."""


class UnknownAssetError(ResolveError):
    """No installed package offers the asset."""


class NoMatchesError(ResolveError):
    """The asset exists, but not with the requested package or variant."""

    def __init__(self, message, pkg=None, variant=None, matches=None):
        super().__init__(message)
        self.pkg = pkg
        self.variant = variant
        self.matches = matches or []


class TooManyMatchesError(ResolveError):
    """Several candidates are left; .matches lists every full name."""

    def __init__(self, message, matches=None, asset=None, pkg=None, variant=None):
        super().__init__(message)
        self.matches = matches or []
        self.asset = asset
        self.pkg = pkg
        self.variant = variant


class AssetLookupError(ResolveError):
    """A full mechanism name is not known."""


class LibraryError(GliaError):
    """The mechanism library cannot provide what was asked for."""


class CompileError(GliaError):
    """A mod file did not compile; the message holds the compiler's words."""


class NeuronError(GliaError):
    """NEURON refused something (loading the library, inserting)."""


class PackageError(GliaError):
    """A Glia package is unknown or broken."""


class UntrustedError(GliaError):
    """gliad's socket, or the library it named, could be another user's:
    refused before it was used. The message says what is wrong and what to
    do."""
