#!/usr/bin/env bash
# Installs everything lwganet-node needs on a fresh Debian/Ubuntu machine, idempotently:
#   system tools (cmake, g++, ninja) · the project venv .venv with the pinned torch (which is both
#   the exporter's torch and the LibTorch the addon links) · npm dependencies · the native addon
#   and the TypeScript build. Reruns skip what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== setup: %s\n' "$*" >&2; }

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v make >/dev/null || missing+=(make)
# The batch queue tests (and `lwganet batch --queue` users on this machine) run a local Redis.
command -v redis-server >/dev/null || missing+=(redis-server)
# gdal-async (the geo engine) is built here against the system GDAL: its own install script would
# download a prebuilt binary from GitHub (unreachable in CI) or compile a bundled GDAL (30+ min).
command -v gdal-config >/dev/null || missing+=(libgdal-dev)
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The project venv. Any python3 >= 3.10 can create it; torch comes from PyPI (pinned).
python_for_venv="${LWGANET_PYTHON:-python3}"
stamp=".venv/.lwganet-requirements"
if [ ! -x .venv/bin/python ] || ! cmp -s requirements-ci.txt "$stamp"; then
  log "creating .venv with $(${python_for_venv} --version 2>&1) and requirements-ci.txt"
  "$python_for_venv" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-ci.txt
  cp requirements-ci.txt "$stamp"
fi
.venv/bin/python -c "import torch; print('setup: torch', torch.__version__)" >&2
# mmrotate's DOTA loader is the reference for the DOTA files in the tests; without its
# dependencies (mmcv, mmdet), which the tests stand in for (test/helpers/dota_reference.py).
if ! .venv/bin/python -m pip show -q mmrotate >/dev/null 2>&1; then
  log "mmrotate 0.3.4 (no dependencies) for the DOTA format tests"
  .venv/bin/python -m pip install -q --no-deps mmrotate==0.3.4
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  # onnxruntime-node (a devDependency, for bench/compare.mjs) would download CUDA provider
  # libraries in its postinstall; package.json's allowScripts already denies that script under
  # npm 11, and its own switch covers npm versions that run it anyway. Only its CPU binaries are used.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi

# gdal-async's binding, built against the system GDAL (its install script is not allowed to run:
# see allowScripts in package.json).
gdal_dir=node_modules/gdal-async
if [ -d "$gdal_dir" ] && ! ls "$gdal_dir"/lib/binding/*/gdal.node >/dev/null 2>&1; then
  log "building gdal-async against the system GDAL $(gdal-config --version)"
  (cd "$gdal_dir" && npx --no-install node-pre-gyp rebuild --build-from-source --shared_gdal -j 2 >/dev/null)
fi
node -e "const g = require('gdal-async'); console.error('setup: GDAL', g.version, 'with', g.drivers.count(), 'drivers')"

# The build finds LibTorch through the python3 first on PATH: the project venv's.
export PATH="$PWD/.venv/bin:$PATH"
if [ ! -f build/Release/lwganet.node ] || [ -n "$(find native cmake CMakeLists.txt -newer build/Release/lwganet.node -print -quit)" ]; then
  log "building the native addon (cmake-js)"
  npm run build:native
fi
log "building TypeScript"
npm run build:ts
