#!/usr/bin/env bash
# Usage: ensure-apt.sh COMMAND PACKAGE "WHAT IT IS FOR"
# Make sure COMMAND is on PATH: install Debian's PACKAGE where missing and permitted
# (root, or passwordless sudo); otherwise say how, and carry on (what needs it is
# skipped with that reason: drawing to .dot still works without graphviz, and the
# browser test of `snarc runs serve` is skipped without chromium).
set -u
cmd=$1 pkg=$2 why=$3
if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "snarc: '$cmd' is missing and there is no apt-get here; install $pkg with your package manager to $why." >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "snarc: '$cmd' is missing; run 'sudo apt-get install -y $pkg' to $why." >&2
  exit 0
fi
echo "snarc: installing $pkg (apt-get) to $why ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; }; then
  echo "snarc: could not install $pkg with apt-get; install it by hand to $why." >&2
fi
exit 0
