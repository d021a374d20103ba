#!/usr/bin/env bash
# Installs what HessianStudy needs from Debian's packages, if it is missing:
#   libgsl-dev (GSL), libopenblas-dev (OpenBLAS, the default BLAS), pkg-config, and
#   gnuplot-nox (draws the figures of results/figures/).
# As root it runs apt-get; otherwise it prints the one command to run and fails.
set -euo pipefail

packages=(libgsl-dev libopenblas-dev pkg-config gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.1 or later (https://www.swift.org/install/linux/)" >&2
  exit 1
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]} and there is no apt-get: install GSL 2.x, OpenBLAS and pkg-config with your system's package manager" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
