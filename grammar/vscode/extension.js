// The NTS extension: starts `ntc lsp` (nts.server.path + nts.server.args) over stdio and connects VS Code to it.
// Highlighting, snippets and editing rules are declarative (package.json); this file only runs the client.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient, State } = require("vscode-languageclient/node");

let client;

function serverCommand() {
  const config = vscode.workspace.getConfiguration("nts");
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const root = folder ? folder.uri.fsPath : undefined;
  const expand = (s) => (root ? s.split("${workspaceFolder}").join(root) : s);
  let command = expand(config.get("server.path") || "ntc");
  // A relative path with a folder in it (".venv/bin/ntc") is taken from the workspace; a bare name from PATH.
  if (root && !path.isAbsolute(command) && /[\\/]/.test(command)) {
    command = path.join(root, command);
  }
  const args = (config.get("server.args") || ["lsp"]).map(expand);
  return { command, args, options: { cwd: root } };
}

async function start(context) {
  const server = serverCommand();
  // No `transport`: the server speaks LSP on its stdin/stdout, with no `--stdio` flag added.
  const serverOptions = { run: server, debug: server };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "nts" },
      { scheme: "untitled", language: "nts" },
    ],
    synchronize: {
      // Imported libraries (`import "lib/x.nts"`) change the diagnostics of the files that import them.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.nts"),
    },
    outputChannelName: "NTS Language Server",
  };
  client = new LanguageClient("nts", "NTS Language Server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `NTS: could not start the language server "${server.command} ${server.args.join(" ")}": ${message}. ` +
        "Install nts-lang (pip install nts-lang) or set nts.server.path.",
      "Open Settings"
    );
    if (choice === "Open Settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "nts.server");
    }
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    if (running.state === State.Running || running.state === State.Starting) {
      await running.stop();
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("nts.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("nts.server")) {
        await stop();
        await start(context);
      }
    })
  );
  await start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
