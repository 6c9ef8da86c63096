#!/usr/bin/env bash
# Installs the Debian packages Nabla needs, and only when some are missing: a machine that has them all
# is left alone, so this needs neither the network nor root there.
#   libopenblas-dev, liblapacke-dev  BLAS and LAPACK behind the tensor core (the CNablaBLAS target)
#   dataset-fashion-mnist            the image data set the training labs and benchmarks read
#   zlib1g-dev                       gzip and deflate for NablaData and NablaViz (the CZlib target)
#   python3-sklearn                  the classic small data sets (iris, wine, digits, ...) NablaClassic reads
#   libturbojpeg0-dev                JPEG reading and writing for NablaData and the JPEG defence (the CTurboJPEG target)
#   fortunes                         the text corpus (about 15,000 fortunes in 40 categories) of NablaLanguage, char-gpt and bench language
#   libbox2d-dev                     Box2D physics for NablaRL's LunarLander (the CBox2DShim target)
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev dataset-fashion-mnist zlib1g-dev python3-sklearn libturbojpeg0-dev fortunes libbox2d-dev)

if ! command -v dpkg >/dev/null 2>&1; then
  echo "install-system-packages: not a Debian system; install OpenBLAS and LAPACKE yourself (${packages[*]} on Debian)." >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  # `dpkg -s` also succeeds for a removed package whose configuration files remain, so read its status.
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed$'; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-system-packages: installing ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-system-packages: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
# noninteractive: no debconf question may wait for an answer that CI cannot give.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
