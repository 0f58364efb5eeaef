#!/usr/bin/env bash
# Debian packages the project needs beside Python (docs/i18n.md):
#  - gettext: xgettext/msgfmt for `make messages` and the catalogue tests;
#  - fonts-dejavu-core, fonts-tlwg-loma-ttf, fonts-droid-fallback: the fonts PDF documents embed
#    (Latin and Vietnamese, Thai, Chinese) and that Chromium draws Thai and Chinese pages with.
set -euo pipefail
FONT_DIR="${OMC_PDF_FONT_DIR:-/usr/share/fonts/truetype}"
missing=()
command -v xgettext >/dev/null || missing+=(gettext)
[ -f "$FONT_DIR/dejavu/DejaVuSans.ttf" ] || missing+=(fonts-dejavu-core)
[ -f "$FONT_DIR/tlwg/Loma.ttf" ] || missing+=(fonts-tlwg-loma-ttf)
[ -f "$FONT_DIR/droid/DroidSansFallbackFull.ttf" ] || missing+=(fonts-droid-fallback)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (apt-get install)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1 || true
  exit 0
fi
echo "Missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})." >&2
exit 1
