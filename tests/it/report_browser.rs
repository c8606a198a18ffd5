//! `report.html` in a real browser: headless Chromium renders it to a PNG
//! (which must not be blank) and dumps the DOM (every chart and table must
//! be there). Ignored by a plain `cargo test` (listed as ignored, with the
//! reason); `.ci/run` installs Chromium and runs it with `-- --ignored`,
//! and run so without Chromium it fails, saying what to install.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use crate::cli_support::forcegen;

/// The Chromium binary: $FORCEGEN_CHROMIUM, or the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FORCEGEN_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The Chromium binary, or a failure that says how to get one.
pub fn chromium_or_fail() -> PathBuf {
    chromium().unwrap_or_else(|| {
        panic!(
            "report_renders_in_chromium needs Chromium to render report.html and none is on PATH: install it \
             (Debian: apt-get install chromium) or set FORCEGEN_CHROMIUM=/path/to/chrome"
        )
    })
}

/// Runs headless Chromium on `page` with `args`, a fresh profile in `profile`.
pub fn headless(chromium: &Path, profile: &Path, page: &Path, args: &[String]) -> std::process::Output {
    let output = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The screenshot at `png_path`: 1200 x 14000, not blank, and with the
/// charts' colour, not only black text.
fn check_screenshot(png_path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1200, 14000), "screenshot size");
    let channels = info.color_type.samples();
    let data = &pixels[..info.buffer_size()];
    let total = data.len() / channels;
    let not_white = data
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|&c| c < 235))
        .count();
    let share = not_white as f64 / total as f64;
    assert!(
        share > 0.02,
        "the screenshot is nearly blank: {:.2}% non-white pixels",
        100.0 * share
    );
    // Colour is there (the charts' fills), not only black text.
    let coloured = data
        .chunks(channels)
        .filter(|px| {
            let (r, g, b) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
            (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 40
        })
        .count();
    assert!(
        coloured as f64 / total as f64 > 0.01,
        "no coloured chart area in the screenshot: {:.2}% coloured pixels",
        100.0 * coloured as f64 / total as f64
    );
}

#[test]
#[ignore = "needs chromium (.ci/run installs it and runs these with --ignored)"]
fn report_renders_in_chromium() {
    let chromium = chromium_or_fail();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    forcegen()
        .args(["run", "--trials", "1000", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let page = out.join("report.html");
    let started = Instant::now();

    // The screenshot: decoded, and not blank. The page is tall (findings,
    // drivers and the assumptions table come before the charts): the window
    // takes all of it.
    let png_path = work.path().join("report.png");
    headless(
        &chromium,
        &work.path().join("profile1"),
        &page,
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1200,14000".to_string(),
        ],
    );
    check_screenshot(&png_path);

    // The DOM as the browser built it: every chart and table.
    let dom = headless(
        &chromium,
        &work.path().join("profile2"),
        &page,
        &["--dump-dom".to_string()],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    for (id, title) in [
        ("chart-international", "International personnel"),
        ("chart-police-ratio", "Police per 100,000"),
        ("chart-targets", "Probability of reaching each target"),
        ("chart-contributors", "Expected strength by contributor"),
        ("chart-distribution", "Distribution of strength on one date"),
    ] {
        let at = dom
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("chart {id} missing from the DOM"));
        let title_at = dom[at..].find("<title").expect("a title in the chart") + at;
        assert!(
            dom[title_at..].starts_with(&format!("<title id=\"{id}-title\">{title}")),
            "title of {id}"
        );
    }
    assert_eq!(dom.matches("<svg ").count(), 5, "five charts");
    for id in ["drivers", "assumptions", "summary", "contributors", "run-info"] {
        let at = dom
            .find(&format!("<table id=\"{id}\">"))
            .unwrap_or_else(|| panic!("table {id} missing from the DOM"));
        assert!(dom[at..].contains("<td"), "table {id} has no cells");
    }
    eprintln!(
        "chromium: screenshot and DOM in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
