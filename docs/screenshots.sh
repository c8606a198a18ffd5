#!/usr/bin/env bash
# Makes docs/screenshots/{report,sensitivity,sweep,compare,backtest,report-gsf}.png:
# the top of each page of the built-in baseline (10,000 trials), and of the
# GSF scenario's report (its findings on targets, money and police layers), as headless
# Chromium shows it 1000 pixels wide (the flags of tests/it/report_browser.rs).
# Usage: docs/screenshots.sh [FORCEGEN_BINARY]   (default: target/release/forcegen)
# FORCEGEN_CHROMIUM names another browser binary; pngquant, if installed,
# makes the files smaller.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
forcegen=${1:-target/release/forcegen}
chromium=${FORCEGEN_CHROMIUM:-chromium}
baseline=scenarios/haiti-mss-2024-09.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$forcegen" run -q --out "$work/report"
"$forcegen" sensitivity -q --out "$work/sensitivity"
"$forcegen" sweep -q --out "$work/sweep" --set contributors.Kenya.probability=0.5,0.85,1 \
    --set events.mandate_lapse.probability=0,0.15,0.5
"$forcegen" compare -q --out "$work/compare" "$baseline" scenarios/haiti-un-transition.toml
"$forcegen" backtest -q --out "$work/backtest" "$baseline" scenarios/haiti-observed-example.csv
"$forcegen" run -q --out "$work/report-gsf" scenarios/haiti-gsf-2026-04.toml

mkdir -p docs/screenshots
for page in report sensitivity sweep compare backtest report-gsf; do
    png=docs/screenshots/$page.png
    "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile-$page" \
        --window-size=1000,1400 --screenshot="$png" "file://$work/$page/${page%-gsf}.html" 2>/dev/null
    if command -v pngquant >/dev/null; then
        pngquant --force --skip-if-larger --output "$png" 64 "$png" || true
    fi
    echo "$png: $(wc -c <"$png") bytes"
done
