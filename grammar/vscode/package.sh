#!/usr/bin/env bash
# Build the VS Code extension: grammar/vscode/nts-lang-<version>.vsix.
#
#   bash grammar/vscode/package.sh
#
# Needs node >= 20 and npm (with access to the npm registry on the first run). The TextMate grammar has one
# source, grammar/nts.tmLanguage.json; it is copied into syntaxes/ here (that copy is git-ignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

command -v node >/dev/null || { echo "package.sh: node is needed (>= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "package.sh: npm is needed" >&2; exit 1; }

mkdir -p syntaxes
cp ../nts.tmLanguage.json syntaxes/nts.tmLanguage.json

# The client library (a runtime dependency, shipped in the .vsix) and vsce (pinned in devDependencies).
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
else
    npm install --no-audit --no-fund
fi

version="$(node -p 'require("./package.json").version')"
out="nts-lang-${version}.vsix"
npx --no-install vsce package --allow-missing-repository --out "$out"
echo "built $here/$out"
