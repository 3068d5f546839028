# shellcheck shell=bash
# Chromium: Debian's package, used by Playwright through executablePath. Not a daemon:
# `up` only installs it. Never `playwright install` (it downloads its own browser).

_chromium_bin() { command -v chromium 2>/dev/null || echo /usr/bin/chromium; }
chromium_addr() { _chromium_bin; }
chromium_env() { echo "export PANECAST_CHROMIUM_PATH=$(_chromium_bin)"; }
chromium_install() { apt_install chromium chromium; }
# "Answers" = the binary runs. The Debian launcher prints a harmless shell warning on some
# machines (its /dev/shm size test), hence 2>/dev/null.
chromium_check() { _chromium_version >/dev/null; }
_chromium_version() { "$(_chromium_bin)" --version 2>/dev/null | grep -m1 -i chromium; }
