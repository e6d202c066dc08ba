"""A minimal LSP client: starts `archlang lsp` and speaks JSON-RPC over its stdio, as an editor
does (Content-Length framed messages, requests with ids, notifications without)."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Client:
    def __init__(self, root: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "archlang", "lsp"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.inbox: queue.Queue = queue.Queue()
        self._pending: list = []            # messages read while waiting for another
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown"]},
                                              "documentSymbol": {
                                                  "hierarchicalDocumentSymbolSupport": True}}}})
        self.capabilities = result["capabilities"]
        self.notify("initialized", {})

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                key, value = line.split(":", 1)
                headers[key.lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body))

    def _send(self, message: dict):
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float = 60):
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            msg = self.inbox.get(timeout=timeout)
            if msg.get("id") == rid and "method" not in msg:
                assert "error" not in msg, msg["error"]
                return msg.get("result")
            self._pending.append(msg)

    def notification(self, method: str, timeout: float = 60, where=lambda p: True) -> dict:
        """The next notification `method` whose params satisfy `where` (earlier ones included)."""
        for i, msg in enumerate(self._pending):
            if msg.get("method") == method and where(msg["params"]):
                return self._pending.pop(i)["params"]
        while True:
            msg = self.inbox.get(timeout=timeout)
            if msg.get("method") == method and where(msg["params"]):
                return msg["params"]
            self._pending.append(msg)

    def open(self, uri: str, text: str, version: int = 1):
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "archlang", "version": version, "text": text}})

    def change(self, uri: str, text: str, version: int):
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict]:
        return self.notification("textDocument/publishDiagnostics", where=lambda p: p["uri"] == uri
                                 and (version is None or p.get("version") == version))["diagnostics"]

    def close(self):
        try:
            self.request("shutdown", {}, timeout=20)
            self.notify("exit", {})
            self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                stream.close()
