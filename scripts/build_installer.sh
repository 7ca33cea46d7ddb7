#!/usr/bin/env bash
# Build the frozen Governance Watcher (PyInstaller, one folder) from build_installer.spec.
#
#   scripts/build_installer.sh [--distpath DIR] [--workpath DIR]
#
# Result: DIR/governance-watcher/ (default dist/), and on macOS "DIR/Governance Watcher.app".
# On Linux also DIR/governance-watcher.tar.gz: the folder, the .desktop launcher, the icon and
# install-linux.sh (unpack, then run ./install-linux.sh; no root needed).
# Needs PyInstaller (`pip install -e ".[build]"`); Pillow too on Windows/macOS when
# resources/icons has no app.ico / app.icns (they are made from the PNG).
# $PYTHON chooses the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."

DIST=dist
WORK=build
while [ $# -gt 0 ]; do
  case "$1" in
    --distpath) DIST=$2; shift 2 ;;
    --workpath) WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--distpath DIR] [--workpath DIR]" >&2; exit 2 ;;
  esac
done
PYTHON=${PYTHON:-python3}
APP_ID=governance-watcher

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is not installed for $PYTHON: pip install -e \".[build]\"" >&2
  exit 1
fi

started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --distpath "$DIST" --workpath "$WORK" \
  build_installer.spec
elapsed=$(( $(date +%s) - started ))

BUNDLE=$DIST/$APP_ID
size=$(du -sh "$BUNDLE" | cut -f1)
version=$(cat "$BUNDLE/_internal/VERSION" 2>/dev/null || echo "$APP_ID")
echo
echo "$version: built in ${elapsed}s"
echo "  bundle:  $BUNDLE/ ($size)"
echo "  program: $BUNDLE/$APP_ID$( [ "${OS:-}" = "Windows_NT" ] && echo .exe )"
if [ -d "$DIST/Governance Watcher.app" ]; then
  echo "  macOS:   $DIST/Governance Watcher.app ($(du -sh "$DIST/Governance Watcher.app" | cut -f1))"
fi

if [ "$(uname -s)" = "Linux" ]; then
  # governance-watcher.tar.gz holds one folder (so unpacking never scatters files):
  #   governance-watcher-<version>-linux-<arch>/{governance-watcher/, governance-watcher.desktop,
  #                                             governance-watcher.png, install-linux.sh}
  number=$("$PYTHON" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
  top=$APP_ID-$number-linux-$(uname -m)
  stage=$WORK/package
  rm -rf "$stage"
  mkdir -p "$stage/$top"
  cp -a "$BUNDLE" "$stage/$top/$APP_ID"
  cp resources/linux/$APP_ID.desktop "$stage/$top/$APP_ID.desktop"
  icon=""
  for candidate in resources/icons/app.png resources/icons/app-256.png; do
    if [ -f "$candidate" ]; then icon=$candidate; break; fi
  done
  if [ -z "$icon" ]; then
    echo "no app icon in resources/icons (app.png or app-256.png)" >&2
    exit 1
  fi
  cp "$icon" "$stage/$top/$APP_ID.png"
  cp scripts/install-linux.sh "$stage/$top/install-linux.sh"
  chmod 755 "$stage/$top/install-linux.sh"
  archive=$DIST/$APP_ID.tar.gz
  tar -C "$stage" -czf "$archive" "$top"
  rm -rf "$stage"
  echo "  archive: $archive ($(du -sh "$archive" | cut -f1)): tar xzf it, then ./$top/install-linux.sh"
fi
