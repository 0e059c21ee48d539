#!/usr/bin/env bash
# Fetches the demo photos of Debian's `darknet` package (dog.jpg, person.jpg,
# giraffe.jpg, kite.jpg, horses.jpg, eagle.jpg, scream.jpg) into a cache
# folder and prints the folder. Their provenance is mixed, so they are
# fetched at test time rather than committed (../shared/images/README.md).
# Idempotent: a second run downloads nothing.
#   tools/fetch_photos.sh            -> ${QCC_PHOTO_CACHE:-~/.cache/qcc/photos}/darknet
set -euo pipefail
cache="${QCC_PHOTO_CACHE:-$HOME/.cache/qcc/photos}"
dest="$cache/darknet"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
download() { (cd "$work" && apt-get download darknet >/dev/null 2>&1); }
if ! download; then
  # A machine whose packages came preinstalled may have no package lists.
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo -n)
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null 2>&1 || true
  download || {
    echo "fetch_photos: error: 'apt-get download darknet' failed (no network or no Debian apt source?)" >&2
    exit 1
  }
fi
dpkg-deb -x "$work"/darknet_*.deb "$work/x"
mkdir -p "$dest"
cp "$work"/x/usr/share/darknet/data/*.jpg "$dest"/
n=$(ls "$dest"/*.jpg | wc -l)
[ "$n" -ge 7 ] || { echo "fetch_photos: error: only $n photos in the darknet package" >&2; exit 1; }
touch "$dest/.complete"
echo "$dest"
