//! `netgear plot --series`: the link benchmark's results second by second (`scripts/link-bench.sh
//! --step`): frames delivered, the oldest frame, and the bitrate on the wire beside the one the
//! sender aimed at, one line per case, over the run's time.

use std::path::Path;

use plotters::prelude::*;
use serde_json::Value as Json;

use crate::plot::{PlotArgs, PlotError};

/// One second of a case.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Second {
    t: f64,
    fps: f64,
    age_max_ms: Option<f64>,
    wire_kbps: f64,
    aim_kbps: Option<f64>,
}

/// One case's series and its name in the legend.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    label: String,
    seconds: Vec<Second>,
}

/// The largest value a series may state (a chart needs finite ranges: a huge value made
/// plotters' tick loops spin).
const MAX_VALUE: f64 = 1e9;

/// Colours for the cases, in turn.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0xdd, 0x84, 0x52),
    RGBColor(0x4c, 0x72, 0xb0),
    RGBColor(0x55, 0xa8, 0x68),
    RGBColor(0x81, 0x72, 0xb3),
    RGBColor(0x93, 0x78, 0x60),
    RGBColor(0xc4, 0x4e, 0x52),
];

fn parse(path: &Path, line: usize, text: &str) -> Result<Option<Run>, PlotError> {
    let bad = |reason: String| PlotError::Parse {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let v: Json = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let Some(rows) = v["series"].as_array() else {
        return Ok(None); // a result without a series (a run without --step): not drawn
    };
    let number = |row: &Json, key: &str| -> Result<Option<f64>, PlotError> {
        match row[key].as_f64() {
            None => Ok(None),
            Some(x) if x.is_finite() && (0.0..=MAX_VALUE).contains(&x) => Ok(Some(x)),
            Some(x) => Err(bad(format!(
                "series \"{key}\" is {x}, not between 0 and {MAX_VALUE}"
            ))),
        }
    };
    let mut seconds = Vec::with_capacity(rows.len());
    for row in rows {
        let need = |key: &str| {
            number(row, key)?.ok_or_else(|| bad(format!("a second of the series has no \"{key}\"")))
        };
        seconds.push(Second {
            t: need("t")?,
            fps: need("fps")?,
            age_max_ms: number(row, "age_max_ms")?,
            wire_kbps: need("wire_kbps")?,
            aim_kbps: number(row, "kbps")?,
        });
    }
    let field = |key: &str| v[key].as_str().unwrap_or("?").to_string();
    Ok(Some(Run {
        label: format!("{} {} {}", field("impl"), field("size"), field("rate")),
        seconds,
    }))
}

fn read(paths: &[std::path::PathBuf]) -> Result<Vec<Run>, PlotError> {
    let mut runs = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| PlotError::Read {
            path: path.clone(),
            source,
        })?;
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty()
                && let Some(run) = parse(path, i + 1, line)?
            {
                runs.push(run);
            }
        }
    }
    if runs.iter().all(|r| r.seconds.is_empty()) {
        return Err(PlotError::Empty);
    }
    Ok(runs)
}

/// `netgear plot --series`: reads the results and draws their series.
pub(crate) fn plot(args: &PlotArgs) -> Result<(), PlotError> {
    let runs = draw_file(&args.results, &args.out)?;
    eprintln!("wrote {} ({runs} series)", args.out.display());
    Ok(())
}

/// Reads the results and draws their series into `out`; how many it drew.
fn draw_file(paths: &[std::path::PathBuf], out: &Path) -> Result<usize, PlotError> {
    let runs = read(paths)?;
    draw(&runs, out).map_err(|e| PlotError::Draw {
        path: out.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(runs.len())
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(runs: &[Run], out: &Path) -> DrawResult {
    let all = || runs.iter().flat_map(|r| r.seconds.iter());
    let end = all().map(|s| s.t + 1.0).fold(1.0, f64::max);
    let root = SVGBackend::new(out, (1000, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((3, 1));
    let colour = |i: usize| COLOURS[i % COLOURS.len()];

    // Frames delivered each second.
    let top = all().map(|s| s.fps).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(&panels[0])
        .caption("frames delivered per second", ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(25)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..end, 0.0..top)?;
    chart.configure_mesh().y_desc("fps").draw()?;
    for (i, run) in runs.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(
                run.seconds.iter().map(|s| (s.t, s.fps)),
                c.stroke_width(2),
            ))?
            .label(run.label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    // The oldest frame of each second, on a log scale from 1 ms.
    let oldest = all().filter_map(|s| s.age_max_ms).fold(10.0, f64::max) * 2.0;
    let mut chart = ChartBuilder::on(&panels[1])
        .caption("oldest frame each second, ms", ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(25)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..end, (1.0..oldest).log_scale())?;
    chart.configure_mesh().y_desc("ms").draw()?;
    for (i, run) in runs.iter().enumerate() {
        let points = run
            .seconds
            .iter()
            .filter_map(|s| Some((s.t, s.age_max_ms?.max(1.0))));
        chart.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
    }

    // Kilobits a second on the wire (solid) and aimed at by the sender (dashed).
    let top = all()
        .map(|s| s.wire_kbps.max(s.aim_kbps.unwrap_or(0.0)))
        .fold(1.0, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(&panels[2])
        .caption(
            "kbit/s on the wire (solid) and aimed at (dashed)",
            ("sans-serif", 18),
        )
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..end, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("kbit/s")
        .draw()?;
    for (i, run) in runs.iter().enumerate() {
        let c = colour(i);
        let wire = run.seconds.iter().map(|s| (s.t, s.wire_kbps));
        chart.draw_series(LineSeries::new(wire, c.stroke_width(2)))?;
        let aim: Vec<(f64, f64)> = run
            .seconds
            .iter()
            .filter_map(|s| Some((s.t, s.aim_kbps?)))
            .collect();
        if aim.len() > 1 {
            chart.draw_series(DashedLineSeries::new(aim, 5, 4, c.stroke_width(1)))?;
        }
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_read_drawn_and_bad_values_named() {
        let dir = std::env::temp_dir().join(format!("netgear-plot-series-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let results = dir.join("results.jsonl");
        std::fs::write(
            &results,
            concat!(
                r#"{"impl": "h264+auto", "size": "1920x1080", "rate": "50mbit", "series": ["#,
                r#"{"t": 0, "fps": 30, "age_max_ms": 40.5, "wire_kbps": 3900, "kbps": 4000},"#,
                r#"{"t": 1, "fps": 29, "age_max_ms": null, "wire_kbps": 4100}]}"#,
                "\n",
                r#"{"impl": "jpeg", "size": "1920x1080", "rate": "50mbit"}"#,
                "\n"
            ),
        )
        .expect("written");
        let out = dir.join("series.svg");
        assert_eq!(
            draw_file(std::slice::from_ref(&results), &out).expect("drawn"),
            1
        );
        let svg = std::fs::read_to_string(&out).expect("an SVG");
        assert!(svg.contains("oldest frame each second") && svg.contains("h264+auto"));

        std::fs::write(
            &results,
            r#"{"impl": "x", "series": [{"t": 0, "fps": 1e300, "wire_kbps": 1}]}"#,
        )
        .expect("written");
        let e = draw_file(std::slice::from_ref(&results), &out).expect_err("refused");
        assert!(
            e.to_string().contains(":1:") && e.to_string().contains("\"fps\""),
            "{e}"
        );
        std::fs::write(&results, r#"{"impl": "x", "size": "1x1"}"#).expect("written");
        assert!(matches!(
            draw_file(std::slice::from_ref(&results), &out),
            Err(PlotError::Empty)
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
