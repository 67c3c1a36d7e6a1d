#!/usr/bin/env bash
# Builds nnmodel (release) and installs it with its man page and shell completions:
#
#   scripts/install.sh [PREFIX]        (default PREFIX: /usr/local; e.g. ~/.local for one user)
#
#   PREFIX/bin/nnmodel
#   PREFIX/share/man/man1/nnmodel.1
#   PREFIX/share/bash-completion/completions/nnmodel
#   PREFIX/share/zsh/site-functions/_nnmodel
#   PREFIX/share/fish/vendor_completions.d/nnmodel.fish
#
# Installs the system packages nnmodel needs first (scripts/setup.sh). Run again to upgrade;
# scripts/install.sh --uninstall [PREFIX] removes those files.
set -euo pipefail
cd "$(dirname "$0")/.."
uninstall=0
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
prefix=${1:-/usr/local}
files=(bin/nnmodel share/man/man1/nnmodel.1 share/bash-completion/completions/nnmodel share/zsh/site-functions/_nnmodel
       share/fish/vendor_completions.d/nnmodel.fish)
if [ "$uninstall" = 1 ]; then
    for f in "${files[@]}"; do rm -f "$prefix/$f"; done
    echo "install.sh: removed nnmodel from $prefix"
    exit 0
fi
./scripts/setup.sh
swift build -c release --static-swift-stdlib --product nnmodel
binary=.build/release/nnmodel
staging=$(mktemp -d "${TMPDIR:-/tmp}/nnmodel-install.XXXXXX")
trap 'rm -rf "$staging"' EXIT
"$binary" --generate-completion-script bash > "$staging/bash"
"$binary" --generate-completion-script zsh > "$staging/zsh"
"$binary" --generate-completion-script fish > "$staging/fish"
install -D -m 755 "$binary" "$prefix/bin/nnmodel"
install -D -m 644 docs/nnmodel.1 "$prefix/share/man/man1/nnmodel.1"
install -D -m 644 "$staging/bash" "$prefix/share/bash-completion/completions/nnmodel"
install -D -m 644 "$staging/zsh" "$prefix/share/zsh/site-functions/_nnmodel"
install -D -m 644 "$staging/fish" "$prefix/share/fish/vendor_completions.d/nnmodel.fish"
echo "install.sh: installed nnmodel $("$prefix/bin/nnmodel" --version) into $prefix"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "install.sh: add $prefix/bin to PATH to run nnmodel by name" ;; esac
