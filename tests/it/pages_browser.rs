//! The analysis commands' pages in a real browser: headless Chromium loads
//! each page (with a small script added to a copy) and every chart must
//! have rendered with a non-zero size, and no image be broken. Ignored by a
//! plain `cargo test`, like `report_browser.rs`; `.ci/run` runs it with
//! `-- --ignored`.

use std::path::Path;

use crate::analysis_pages::charts;
use crate::cli_support::{forcegen, scenarios_dir};
use crate::report_browser::{chromium_or_fail, headless};

/// Measures every chart and image once the page is laid out, and writes
/// what it found into the page, for `--dump-dom`.
const CHECK: &str = "<script>
const bad = [];
const svgs = document.querySelectorAll('svg');
svgs.forEach(s => { const r = s.getBoundingClientRect(); if (!(r.width > 0 && r.height > 0)) bad.push(s.id); });
document.querySelectorAll('img').forEach(i => { if (!i.complete || i.naturalWidth === 0) bad.push('img'); });
const out = document.createElement('pre');
out.id = 'render-check';
out.textContent = 'charts=' + svgs.length + ' bad=' + bad.join(',') + ';';
document.body.appendChild(out);
</script>
</body>";

/// Runs the five analysis commands into `dir`, with few trials.
fn write_pages(dir: &Path) {
    let baseline = scenarios_dir().join("haiti-mss-2024-09.toml");
    let quick = ["--trials", "300", "-q", "--out"];
    forcegen()
        .arg("sensitivity")
        .args(quick)
        .arg(dir.join("sensitivity"))
        .assert()
        .code(0);
    forcegen()
        .args(["sweep", "--set", "contributors.Kenya.probability=0.5,1"])
        .args(quick)
        .arg(dir.join("sweep"))
        .assert()
        .code(0);
    forcegen()
        .args(["solve", "--target", "MSS at 1,000", "--chance", "0.7"])
        .args(["--vary", "contributors.Kenya.probability", "--range", "0..1"])
        .args(quick)
        .arg(dir.join("solve"))
        .assert()
        .code(0);
    forcegen()
        .arg("compare")
        .arg(&baseline)
        .arg(scenarios_dir().join("haiti-un-transition.toml"))
        .args(quick)
        .arg(dir.join("compare"))
        .assert()
        .code(0);
    forcegen()
        .arg("backtest")
        .arg(&baseline)
        .arg(scenarios_dir().join("haiti-observed-example.csv"))
        .args(quick)
        .arg(dir.join("backtest"))
        .assert()
        .code(0);
}

#[test]
#[ignore = "needs chromium (.ci/run installs it and runs these with --ignored)"]
fn analysis_pages_render_every_chart_in_chromium() {
    let chromium = chromium_or_fail();
    let work = tempfile::tempdir().unwrap();
    write_pages(work.path());
    for name in ["sensitivity", "sweep", "solve", "compare", "backtest"] {
        let html = std::fs::read_to_string(work.path().join(name).join(format!("{name}.html"))).unwrap();
        let expected = charts(&html).len();
        assert!(expected > 0, "{name}.html has no chart");
        let checked = work.path().join(format!("{name}-checked.html"));
        std::fs::write(&checked, html.replacen("</body>", CHECK, 1)).unwrap();
        let dom = headless(
            &chromium,
            &work.path().join(format!("profile-{name}")),
            &checked,
            &["--dump-dom".to_string(), "--window-size=1200,2000".to_string()],
        );
        let dom = String::from_utf8_lossy(&dom.stdout);
        let found = format!("<pre id=\"render-check\">charts={expected} bad=;</pre>");
        assert!(
            dom.contains(&found),
            "{name}.html: expected {found}, the browser says {}",
            dom.find("<pre id=\"render-check\">")
                .map_or("nothing (the script did not run)", |at| &dom
                    [at..(at + 200).min(dom.len())])
        );
    }
}
