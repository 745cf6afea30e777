#!/usr/bin/env bash
# Extracts the JPEG copy of CIFAR-10 (../shared/data/cifar10-jpeg/cifar10-jpeg.tar.xz, or the
# archive given as $1) into ${AXTRAIN_CACHE:-$HOME/.cache/axtrain}/cifar10-jpeg, outside the
# repository, as train/<class>/*.jpg (50,000) and test/<class>/*.jpg (10,000) — the layout of
# data type image_folder (configs/tinyconv_cifar10.yaml).
#
# Idempotent: does nothing when the destination already holds 50,000 + 10,000 JPEGs. Extracts
# into a temporary folder beside the destination and renames it into place only after the counts
# check out, so an interrupted run leaves no half-filled destination.
#
# Usage: scripts/prepare_cifar10_jpeg.sh [ARCHIVE]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
archive="${1:-${AXTRAIN_DATA:-$repo/../shared/data}/cifar10-jpeg/cifar10-jpeg.tar.xz}"
cache="${AXTRAIN_CACHE:-$HOME/.cache/axtrain}"
dest="$cache/cifar10-jpeg"

count() {  # count DIR: number of .jpg files below DIR (0 if DIR is missing)
  if [ -d "$1" ]; then find "$1" -type f -name '*.jpg' | wc -l; else echo 0; fi
}

complete() {  # complete DIR: true when DIR has the full train and test trees
  [ "$(count "$1/train")" -eq 50000 ] && [ "$(count "$1/test")" -eq 10000 ]
}

if complete "$dest"; then
  echo "cifar10-jpeg: already extracted in $dest (50000 train, 10000 test)"
  exit 0
fi
if [ -e "$dest" ]; then
  echo "error: $dest exists but does not hold 50000 train + 10000 test JPEGs" \
       "(train: $(count "$dest/train"), test: $(count "$dest/test")); remove it and re-run" >&2
  exit 1
fi
if [ ! -f "$archive" ]; then
  echo "error: archive not found: $archive (give its path as the first argument)" >&2
  exit 1
fi

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.cifar10-jpeg.tmp.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "cifar10-jpeg: extracting $archive into $dest"
tar -xJf "$archive" -C "$tmp"
if ! complete "$tmp"; then
  echo "error: $archive holds $(count "$tmp/train") train and $(count "$tmp/test") test JPEGs;" \
       "expected 50000 and 10000 (train/<class>/*.jpg, test/<class>/*.jpg)" >&2
  exit 1
fi
mv "$tmp" "$dest"
trap - EXIT
echo "cifar10-jpeg: done, 50000 train + 10000 test JPEGs in $dest"
