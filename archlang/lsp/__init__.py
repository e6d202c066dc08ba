"""The language server: features.py answers (no protocol), server.py speaks LSP (pygls)."""
