#!/usr/bin/env bash
# Debian packages the tests need: bubblewrap (the grading sandbox), chromium (rendering the built book) and
# postgresql (a throw-away server for the PostgreSQL gradebook; its binaries are in /usr/lib/postgresql/<version>/bin).
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "The tests need these Debian packages: ${missing[*]}. Install them: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
