"""NMODL assets for gliad's tests, in the Glia 4 package layout.

The Python Glia would find `package` through the entry point; gliad reads
the mods under mods/ and never imports this module.
"""

__version__ = "1.0.0"
package = None
