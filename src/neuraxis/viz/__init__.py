"""Every figure of neuraxis, one module per subject.

Each function is ``plot_x(obj, path, *, ...) -> Path``: it draws ``obj`` with matplotlib's
object API (no pyplot state), writes ``path`` (PNG) and returns it. matplotlib is imported
lazily (extra ``plot``); importing this package stays light.
"""
