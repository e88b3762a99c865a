#!/usr/bin/env bash
# Build the one-folder app: dist/VATPStudio/vatp-studio (run from anywhere; needs `pip install -e ".[packaging]"`).
# The bundle carries whatever torch is installed: a CPU-only torch gives a small bundle, a CUDA torch a large one
# (see README, "Packaging").
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/vatp_studio.spec
cp packaging/vatp-studio.desktop dist/VATPStudio/
echo "built dist/VATPStudio in $(( $(date +%s) - start )) s, $(du -sh dist/VATPStudio | cut -f1)"
