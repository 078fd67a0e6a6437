//! `netgear plot`: draws the results of `scripts/link-bench.sh --json FILE` as an SVG chart:
//! frames per second delivered per case, and frame age (p50 bar, p99 whisker; log scale); with
//! `--series`, their per-second series over time (`plot_series.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use plotters::prelude::*;
use serde_json::Value as Json;

#[derive(Args)]
pub(crate) struct PlotArgs {
    /// Results of the link benchmark: one JSON object per line (`scripts/link-bench.sh --json`).
    #[arg(required = true)]
    pub(crate) results: Vec<PathBuf>,
    /// The SVG file to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Draw each result's per-second series over the run's time instead (results of
    /// `scripts/link-bench.sh --step`): frames delivered, the oldest frame, and the kbit/s on
    /// the wire beside those the sender aimed at.
    #[arg(long)]
    pub(crate) series: bool,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlotError {
    /// A results file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A line of a results file is not a result.
    #[error("{path}:{line}: not a link-bench result: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The files held no result.
    #[error("no results to plot")]
    Empty,
    /// Drawing or writing the SVG failed.
    #[error("cannot draw {path}: {reason}")]
    Draw {
        /// The SVG file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// One case of the link benchmark.
#[derive(Debug, Clone, PartialEq)]
struct Case {
    /// The link, the frame size and the source's rate: "100mbit 1920x1080 30 fps".
    group: String,
    /// The implementation and codec: raw, jpeg, lz4, vidgear.
    series: String,
    fps: f64,
    source_fps: f64,
    age_p50_ms: Option<f64>,
    age_p99_ms: Option<f64>,
}

/// The series in the order (and colours) they are drawn.
const SERIES: [(&str, RGBColor); 5] = [
    ("raw", RGBColor(0x4c, 0x72, 0xb0)),
    ("jpeg", RGBColor(0xdd, 0x84, 0x52)),
    ("lz4", RGBColor(0x55, 0xa8, 0x68)),
    ("zstd", RGBColor(0x81, 0x72, 0xb3)),
    ("vidgear", RGBColor(0x93, 0x78, 0x60)),
];

fn colour(series: &str) -> RGBColor {
    SERIES
        .iter()
        .find(|(name, _)| *name == series)
        .map_or(RGBColor(0x80, 0x80, 0x80), |(_, c)| *c)
}

fn parse(path: &std::path::Path, line: usize, text: &str) -> Result<Case, PlotError> {
    let bad = |reason: &str| PlotError::Parse {
        path: path.to_path_buf(),
        line,
        reason: reason.to_string(),
    };
    let v: Json = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let text_field = |key: &str| {
        v[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(&format!("no \"{key}\"")))
    };
    // Every number within what a chart can scale to: plotters' axes (and their tick loops)
    // need finite ranges, and a huge value made `netgear plot` spin at 100 % CPU.
    let within = |key: &str, x: f64, max: f64| {
        if x.is_finite() && (0.0..=max).contains(&x) {
            Ok(x)
        } else {
            Err(bad(&format!("\"{key}\" is {x}, not between 0 and {max}")))
        }
    };
    let number = |key: &str, max: f64| {
        let x = v[key]
            .as_f64()
            .ok_or_else(|| bad(&format!("no \"{key}\"")))?;
        within(key, x, max)
    };
    let age = |key: &str| {
        v[key]
            .as_f64()
            .map(|x| within(key, x, MAX_AGE_MS))
            .transpose()
    };
    let source_fps = number("source_fps", MAX_FPS)?;
    Ok(Case {
        group: format!(
            "{} {} {} fps",
            text_field("rate")?,
            text_field("size")?,
            source_fps
        ),
        series: text_field("impl")?,
        fps: number("fps", MAX_FPS)?,
        source_fps,
        age_p50_ms: age("age_p50_ms")?,
        age_p99_ms: age("age_p99_ms")?,
    })
}

/// The most frames per second a result may state (a million: far above any link's).
const MAX_FPS: f64 = 1e6;

/// The longest frame age a result may state, in milliseconds (about eleven days).
const MAX_AGE_MS: f64 = 1e9;

fn read(paths: &[PathBuf]) -> Result<Vec<Case>, PlotError> {
    let mut cases = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| PlotError::Read {
            path: path.clone(),
            source,
        })?;
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                cases.push(parse(path, i + 1, line)?);
            }
        }
    }
    if cases.is_empty() {
        return Err(PlotError::Empty);
    }
    Ok(cases)
}

pub(crate) fn plot(args: &PlotArgs) -> Result<(), PlotError> {
    let cases = read(&args.results)?;
    draw(&cases, &args.out).map_err(|e| PlotError::Draw {
        path: args.out.clone(),
        reason: e.to_string(),
    })?;
    eprintln!("wrote {} ({} cases)", args.out.display(), cases.len());
    Ok(())
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(cases: &[Case], out: &std::path::Path) -> DrawResult {
    // Groups in the order they first appear; series in the fixed order.
    let mut groups: Vec<&str> = Vec::new();
    for c in cases {
        if !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
    }
    let present: Vec<&str> = SERIES
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| cases.iter().any(|c| c.series == *s))
        .chain(
            cases
                .iter()
                .map(|c| c.series.as_str())
                .filter(|s| SERIES.iter().all(|(k, _)| k != s)),
        )
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    let at: BTreeMap<(&str, &str), &Case> = cases
        .iter()
        .map(|c| ((c.group.as_str(), c.series.as_str()), c))
        .collect();
    let width = (groups.len() as u32 * 60 * present.len() as u32).clamp(640, 1600) + 120;
    let root = SVGBackend::new(out, (width, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(380);
    let n = groups.len() as f64;
    let slot = 0.8 / present.len().max(1) as f64;
    // The bar of `series` in group `g`: its left and right edge on the x axis.
    let bar = |g: usize, s: usize| {
        let left = g as f64 + 0.1 + s as f64 * slot;
        (left, left + slot * 0.9)
    };
    let label = |x: &f64| {
        let g = x.floor();
        if (x - g - 0.5).abs() < 1e-9 && g >= 0.0 {
            groups
                .get(g as usize)
                .map_or(String::new(), |s| s.to_string())
        } else {
            String::new()
        }
    };

    // Frames per second delivered, with the source's rate as a dashed line per group.
    let max_fps = cases
        .iter()
        .map(|c| c.fps.max(c.source_fps))
        .fold(1.0, f64::max)
        * 1.4;
    let mut chart = ChartBuilder::on(&top)
        .caption("frames per second delivered", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..n, 0.0..max_fps)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups.len() * 2 + 1)
        .x_label_formatter(&label)
        .y_desc("fps")
        .draw()?;
    for (s, series) in present.iter().enumerate() {
        let colour = colour(series);
        let bars = groups.iter().enumerate().filter_map(|(g, group)| {
            let c = at.get(&(*group, *series))?;
            let (l, r) = bar(g, s);
            Some(Rectangle::new([(l, 0.0), (r, c.fps)], colour.filled()))
        });
        chart
            .draw_series(bars)?
            .label(*series)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    for (g, group) in groups.iter().enumerate() {
        if let Some(c) = cases.iter().find(|c| c.group == *group) {
            let line = [
                (g as f64 + 0.05, c.source_fps),
                (g as f64 + 0.95, c.source_fps),
            ];
            chart.draw_series(DashedLineSeries::new(line, 4, 3, BLACK.stroke_width(1)))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    // Frame age: p50 as the bar, p99 as a whisker; a log scale from 1 ms.
    let max_age = cases
        .iter()
        .filter_map(|c| c.age_p99_ms.or(c.age_p50_ms))
        .fold(10.0, f64::max)
        * 2.0;
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "frame age, ms (bar p50, whisker p99; netgear-rs only)",
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..n, (1.0..max_age).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups.len() * 2 + 1)
        .x_label_formatter(&label)
        .y_desc("ms")
        .draw()?;
    for (s, series) in present.iter().enumerate() {
        let colour = colour(series);
        for (g, group) in groups.iter().enumerate() {
            let Some(c) = at.get(&(*group, *series)) else {
                continue;
            };
            let (l, r) = bar(g, s);
            if let Some(p50) = c.age_p50_ms {
                chart.draw_series([Rectangle::new(
                    [(l, 1.0), (r, p50.max(1.0))],
                    colour.filled(),
                )])?;
            }
            if let Some(p99) = c.age_p99_ms {
                let mid = (l + r) / 2.0;
                let low = c.age_p50_ms.unwrap_or(p99).max(1.0);
                chart.draw_series([
                    PathElement::new([(mid, low), (mid, p99.max(1.0))], BLACK),
                    PathElement::new([(l, p99.max(1.0)), (r, p99.max(1.0))], BLACK),
                ])?;
            }
        }
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_read_and_bad_lines_named() {
        let dir = std::env::temp_dir().join(format!("netgear-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let good = dir.join("good.jsonl");
        std::fs::write(
            &good,
            concat!(
                r#"{"impl":"raw","size":"1920x1080","rate":"100mbit","source_fps":30.0,"fps":1.9,"age_p50_ms":545.0,"age_p99_ms":556.0}"#,
                "\n",
                r#"{"impl":"vidgear","size":"1920x1080","rate":"100mbit","source_fps":30.0,"fps":1.7,"age_p50_ms":null}"#,
                "\n"
            ),
        )
        .expect("written");
        let cases = read(std::slice::from_ref(&good)).expect("two cases");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].group, "100mbit 1920x1080 30 fps");
        assert_eq!(cases[1].age_p50_ms, None);
        let svg = dir.join("chart.svg");
        draw(&cases, &svg).expect("drawn");
        let text = std::fs::read_to_string(&svg).expect("an SVG");
        assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(80)]);
        assert!(text.contains("100mbit 1920x1080 30 fps"));
        let bad = dir.join("bad.jsonl");
        std::fs::write(&bad, "{\"impl\":\"raw\"}\n").expect("written");
        let e = read(&[bad]).expect_err("no size");
        assert!(e.to_string().contains("bad.jsonl:1"), "{e}");
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
