#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (npm run test:e2e) needs on a fresh Debian 12 machine.
# Run as root. Idempotent: a second run only checks and returns in about a second.
#
#   - Debian: chromium (the browser playwright-core drives), ripgrep, and the toolchain code-server's
#     native modules are built with (build-essential pkg-config python3 libkrb5-dev libxkbfile-dev
#     libsecret-1-dev).
#   - npm: code-server@4.100.3 (VS Code 1.100.3 served to a browser; later versions need Node 24) into
#     $N3_E2E_DIR (default: vscode-extension/.e2e, git-ignored), and the extension's own
#     devDependencies (playwright-core, vsce, esbuild) with `npm ci` when they are missing.
#
# Environment: N3_E2E_DIR (install folder), N3_E2E_SKIP_APT=1 (do not touch apt).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext_dir="$(cd "$here/.." && pwd)"
e2e_dir="${N3_E2E_DIR:-$ext_dir/.e2e}"
code_server_version="4.100.3"
# What @vscode/ripgrep 1.15.11 (used by code-server 4.100.3) downloads on install; we hand it
# Debian's rg instead, because the download needs the internet.
rg_cache_name="vscode-ripgrep-cache-1.15.11"
rg_tarball="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

log() { printf '[install-e2e-deps] %s\n' "$*" >&2; }

if [ "$(id -u)" != "0" ] && [ "${N3_E2E_SKIP_APT:-0}" != "1" ]; then
    log "run as root (apt-get is needed), or set N3_E2E_SKIP_APT=1 when the Debian packages are there"
    exit 1
fi

# --- Debian packages -------------------------------------------------------------------------
apt_packages=(chromium ripgrep build-essential pkg-config python3 libkrb5-dev libxkbfile-dev libsecret-1-dev)
if [ "${N3_E2E_SKIP_APT:-0}" != "1" ]; then
    missing=()
    for pkg in "${apt_packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        log "Debian packages present"
    fi
fi
for tool in chromium rg node npm; do
    command -v "$tool" >/dev/null || { log "missing after install: $tool"; exit 1; }
done

# --- code-server ------------------------------------------------------------------------------
cs_pkg="$e2e_dir/node_modules/code-server/package.json"
cs_installed=""
if [ -f "$cs_pkg" ]; then
    cs_installed="$(node -p "require('$cs_pkg').version" 2>/dev/null || true)"
fi
# The postinstall of code-server installs VS Code's own modules; its last step leaves this file.
if [ "$cs_installed" = "$code_server_version" ] && [ -d "$e2e_dir/node_modules/code-server/lib/vscode/node_modules" ] \
    && [ -x "$e2e_dir/node_modules/.bin/code-server" ]; then
    log "code-server $code_server_version present in $e2e_dir"
else
    log "installing code-server@$code_server_version into $e2e_dir (a few minutes on a cold npm cache)"
    mkdir -p "$e2e_dir/tmp/$rg_cache_name"
    if [ ! -f "$e2e_dir/tmp/$rg_cache_name/$rg_tarball" ]; then
        tar -C "$(dirname "$(command -v rg)")" -czf "$e2e_dir/tmp/$rg_cache_name/$rg_tarball" rg
    fi
    if [ ! -f "$e2e_dir/package.json" ]; then
        printf '{\n  "name": "namel3ss-vscode-e2e-tools",\n  "private": true\n}\n' >"$e2e_dir/package.json"
    fi
    (
        cd "$e2e_dir"
        # code-server refuses to install as root unless unsafe-perm; node-pty's build runs npx
        # (yes); native modules build against the system Node headers (nodedir=/usr). npm >= 11.1x
        # skips dependencies' install scripts unless allowed, and code-server is made of them.
        export TMPDIR="$e2e_dir/tmp" \
            npm_config_unsafe_perm=true \
            npm_config_yes=true \
            npm_config_nodedir=/usr \
            npm_config_dangerously_allow_all_scripts=true \
            npm_config_fund=false \
            npm_config_audit=false \
            npm_config_update_notifier=false
        npm install --no-save --loglevel=error "code-server@$code_server_version"
    )
    [ -x "$e2e_dir/node_modules/.bin/code-server" ] || { log "code-server did not install"; exit 1; }
    log "code-server $(node -p "require('$cs_pkg').version") installed"
fi

# --- the extension's own tools (playwright-core, vsce, esbuild) -------------------------------
if [ ! -f "$ext_dir/node_modules/playwright-core/package.json" ] || [ ! -f "$ext_dir/node_modules/@vscode/vsce/package.json" ]; then
    log "npm ci in $ext_dir"
    (cd "$ext_dir" && npm ci --loglevel=error --no-fund --no-audit)
else
    log "extension node_modules present"
fi
log "done"
