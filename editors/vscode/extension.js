// The archlang extension: .arch highlighting comes from the TextMate grammar; everything else
// (diagnostics as you type, hover, definitions, completion, formatting, outline) from the
// language server that `archlang lsp` runs over stdio.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("archlang")
    .get("server.command", ["archlang", "lsp"]);
  client = new LanguageClient("archlang", "archlang language server",
    { command, args, transport: 0 /* stdio */ },
    { documentSelector: [{ scheme: "file", language: "archlang" },
                         { scheme: "untitled", language: "archlang" }] });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
