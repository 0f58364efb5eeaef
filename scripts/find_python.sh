#!/usr/bin/env bash
# Prints the first Python >= 3.12 found (Django 6 needs it), or explains what to install.
for candidate in "${PYTHON:-}" python3.13 python3.12 python3 python; do
  [ -n "$candidate" ] || continue
  command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    command -v "$candidate"
    exit 0
  fi
done
# pyenv keeps versions it does not put on PATH (this repo's .python-version names one).
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do
    path="$(pyenv root)/versions/$version/bin/python3"
    [ -x "$path" ] && { echo "$path"; exit 0; }
  done
fi
echo "OMC needs Python 3.12 or newer (Django 6). Install it, e.g. 'pyenv install 3.12' or your OS package python3.12, or set PYTHON=/path/to/python3.12." >&2
exit 1
