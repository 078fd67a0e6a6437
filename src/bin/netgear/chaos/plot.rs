//! `soak --chaos --plot FILE.svg`: the resident memory and open descriptors of every process
//! of the soak over time, one line per process (pattern, role, start), with the outages
//! marked along the time axis.

use std::path::Path;

use plotters::prelude::*;

use super::account::Sample;

/// One process's line: the series (its colour: a pattern), its legend (the first process of
/// a series only) and its samples.
pub(crate) struct Process<'a> {
    pub(crate) series: usize,
    pub(crate) legend: Option<String>,
    pub(crate) samples: &'a [Sample],
}

/// Draws `processes`, and each outage as (its series, when it began), into `path`.
pub(crate) fn draw(
    path: &Path,
    processes: &[Process<'_>],
    outages: &[(usize, u64)],
) -> Result<(), String> {
    draw_chart(path, processes, outages).map_err(|e| format!("cannot draw {}: {e}", path.display()))
}

fn draw_chart(
    path: &Path,
    processes: &[Process<'_>],
    outages: &[(usize, u64)],
) -> Result<(), Box<dyn std::error::Error>> {
    let all = || processes.iter().flat_map(|p| p.samples);
    let start = all().map(|s| s.t_us).min().unwrap_or(0);
    let minutes = |t: u64| t.saturating_sub(start) as f64 / 60e6;
    let end = all().map(|s| minutes(s.t_us)).fold(0.1, f64::max);
    let max_rss = all().map(|s| s.rss_kb as f64 / 1024.0).fold(1.0, f64::max) * 1.2;
    let max_fds = all().map(|s| s.fds as f64).fold(1.0, f64::max) * 1.2;
    let root = SVGBackend::new(path, (1200, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(380);
    let panels: [(&DrawingArea<_, _>, &str, &str, f64); 2] = [
        (&top, "resident memory of each process", "MiB", max_rss),
        (
            &bottom,
            "open file descriptors of each process",
            "descriptors",
            max_fds,
        ),
    ];
    for (panel, (area, caption, unit, top_y)) in panels.into_iter().enumerate() {
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..end, 0.0..top_y)?;
        chart
            .configure_mesh()
            .x_desc("minutes")
            .y_desc(unit)
            .draw()?;
        // Outages: a tick on the time axis each, in its series' colour.
        chart.draw_series(outages.iter().map(|&(series, t)| {
            let x = minutes(t);
            let colour = Palette99::pick(series).to_rgba();
            PathElement::new([(x, 0.0), (x, top_y * 0.04)], colour.stroke_width(2))
        }))?;
        for p in processes {
            let colour = Palette99::pick(p.series).to_rgba();
            let points = p.samples.iter().map(|s| {
                let y = if panel == 0 {
                    s.rss_kb as f64 / 1024.0
                } else {
                    s.fds as f64
                };
                (minutes(s.t_us), y)
            });
            let line = chart.draw_series(LineSeries::new(points, colour.stroke_width(1)))?;
            if let Some(legend) = &p.legend {
                line.label(legend.clone()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
