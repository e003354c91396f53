"""The chat application: the one package that imports gradio.

One module per panel (kotaemon's layout): ``chat`` (conversation and question box),
``sources`` (the cards of an answer's sources), ``feedback`` (thumbs and comment), ``coach``
(session packs), ``documents`` (what is indexed; upload and re-index); ``app`` assembles them
and launches the server; ``render`` holds the escaping every panel shares.
"""

from .app import build_app, launch

__all__ = ["build_app", "launch"]
