"""A Glia package to try glia with. Its mechanisms are in mods/: gliad finds
them through this distribution's glia.package entry point."""

package = None  # the Python Glia's entry point names this attribute
