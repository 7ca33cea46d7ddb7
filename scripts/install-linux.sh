#!/bin/sh
# Install Governance Watcher for the current user, from the unpacked Linux archive
# (dist/governance-watcher.tar.gz, made by scripts/build_installer.sh). No root needed.
#
#   ./install-linux.sh              install or upgrade
#   ./install-linux.sh --uninstall  remove the program (your data and history are kept)
#
# Files written:
#   ~/.local/opt/governance-watcher/                 the program (replaced as a whole on upgrade)
#   ~/.local/share/applications/governance-watcher.desktop
#   ~/.local/share/icons/hicolor/256x256/apps/governance-watcher.png
#   ~/.local/bin/governance-watcher                  a link, so the command works in a terminal
# ($XDG_DATA_HOME replaces ~/.local/share when set; $GOVERNANCE_WATCHER_PREFIX the program
# folder.) Your data lives elsewhere (~/.local/share/governance-watcher) and is never touched
# here: an upgrade keeps it, and the new version migrates the database in place after
# backing it up (watcher.schema<N>-<date>.sqlite3 next to it).
set -eu

APP_ID=governance-watcher
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${GOVERNANCE_WATCHER_PREFIX:-$HOME/.local/opt/$APP_ID}
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
APPS=$DATA_HOME/applications
ICONS=$DATA_HOME/icons/hicolor/256x256/apps
BIN=$HOME/.local/bin

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS" 2>/dev/null || true
    fi
    # no user-level icon-theme.cache is written (a stale one hides other apps' icons):
    # touching the theme folder makes the desktop rescan it
    if [ -d "$DATA_HOME/icons/hicolor" ]; then touch "$DATA_HOME/icons/hicolor"; fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$PREFIX"
    rm -f "$APPS/$APP_ID.desktop" "$ICONS/$APP_ID.png"
    if [ -L "$BIN/$APP_ID" ]; then rm -f "$BIN/$APP_ID"; fi
    # a login entry of this install would start a program that is gone (one written by a
    # source install, `python -m watcher_app`, is left alone)
    AUTOSTART=${XDG_CONFIG_HOME:-$HOME/.config}/autostart/$APP_ID.desktop
    if [ -f "$AUTOSTART" ] && grep -qF "$PREFIX/$APP_ID" "$AUTOSTART"; then
        rm -f "$AUTOSTART"
    fi
    refresh_caches
    echo "Governance Watcher is uninstalled. Your data is kept in" \
         "${XDG_DATA_HOME:-$HOME/.local/share}/$APP_ID (delete it yourself if you want)."
    exit 0
fi
if [ $# -gt 0 ]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

SOURCE=$HERE/$APP_ID
if [ ! -x "$SOURCE/$APP_ID" ]; then
    echo "install-linux.sh: $SOURCE/$APP_ID is missing: run me from the unpacked archive" >&2
    exit 1
fi

# Copy next to the target first, then swap: a failed copy never leaves half a program, and
# an upgrade replaces every file (no stale library from the previous version survives).
mkdir -p "$(dirname "$PREFIX")"
STAGING=$PREFIX.new.$$
rm -rf "$STAGING"
cp -a "$SOURCE" "$STAGING"
if [ -e "$PREFIX" ]; then
    OLD=$PREFIX.old.$$
    mv "$PREFIX" "$OLD"
    mv "$STAGING" "$PREFIX"
    rm -rf "$OLD"
else
    mv "$STAGING" "$PREFIX"
fi

EXE=$PREFIX/$APP_ID
mkdir -p "$APPS" "$ICONS" "$BIN"
# The launcher entry with the absolute path of this install (quoted per the spec when the
# path has spaces).
case $EXE in
    *" "*) EXEC_VALUE="\"$EXE\"" ;;
    *) EXEC_VALUE=$EXE ;;
esac
sed -e "s|^Exec=.*|Exec=$EXEC_VALUE|" -e "s|^TryExec=.*|TryExec=$EXE|" \
    "$HERE/$APP_ID.desktop" > "$APPS/$APP_ID.desktop.part"
mv "$APPS/$APP_ID.desktop.part" "$APPS/$APP_ID.desktop"
chmod 644 "$APPS/$APP_ID.desktop"
cp "$HERE/$APP_ID.png" "$ICONS/$APP_ID.png"
chmod 644 "$ICONS/$APP_ID.png"
ln -sfn "$EXE" "$BIN/$APP_ID"
refresh_caches

VERSION=$(cat "$PREFIX/_internal/VERSION" 2>/dev/null || echo "Governance Watcher")
echo "Installed $VERSION in $PREFIX"
echo "  launcher: $APPS/$APP_ID.desktop (find it in your applications menu)"
echo "  command:  $BIN/$APP_ID"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "  (add $BIN to your PATH to type '$APP_ID' in a terminal)" ;;
esac
echo "Start it from the menu; turn on 'Start at login' in its settings to keep it watching."
