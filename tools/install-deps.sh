#!/bin/sh
# Installs the Debian packages given as arguments that are not installed yet.
# Runs apt-get only when something is missing, so a second run is instant.
# An argument CMD=PKG means: install PKG only when the command CMD is missing
# (node and npm may come from elsewhere than Debian's packages).
set -eu
missing=""
for p in "$@"; do
	case "$p" in
	*=*)
		command -v "${p%%=*}" >/dev/null 2>&1 || missing="$missing ${p#*=}"
		continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "Installing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "Please run as root (or install these packages yourself):$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
