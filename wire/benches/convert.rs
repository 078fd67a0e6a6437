//! The cost of converting between `Frame` and `ndarray` arrays, side by side with a plain
//! memcpy of the same bytes (`to_vec` of a slice: one allocation and one copy, what a
//! conversion that copies cannot beat).
//!
//! ```sh
//! cargo bench -p netgear-wire --features ndarray --bench convert            # about 20 s
//! cargo bench -p netgear-wire --features ndarray --bench convert -- --quick # a smoke run
//! ```
//!
//! Each round runs every case once, in turn (the memcpy baseline first), so that the
//! machine's noise hits them all; the report gives each case's median time per call over the
//! rounds, `×memcpy` (the ratio of the medians) and `×memcpy/r` (the median of the per-round
//! ratios). Nothing is asserted about time: compare ratios between runs, not times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ndarray::{Array3, ArrayView3};
use netgear_wire::Frame;

/// One case: it runs `iters` calls and returns the time they took.
struct Case<'a> {
    name: &'static str,
    run: Box<dyn FnMut(u32) -> Duration + 'a>,
}

/// Times `iters` calls of `f` on inputs `setup` made beforehand (before the clock starts).
/// Each output is dropped right away, as a video loop drops each frame it is done with, so
/// the allocator hands the same memory back every time, for every copying case alike.
fn timed<I, O>(iters: u32, setup: impl FnMut() -> I, mut f: impl FnMut(I) -> O) -> Duration {
    run(iters, setup, |input| drop(black_box(f(input))))
}

/// Like [`timed`], with the outputs dropped after the clock stops: for `from_array`, whose
/// frames free the arrays' memory when dropped, a cost that belongs to the arrays (allocated
/// before the clock started), not to the conversion.
fn timed_keep<I, O>(iters: u32, setup: impl FnMut() -> I, mut f: impl FnMut(I) -> O) -> Duration {
    let mut outputs = Vec::with_capacity(iters as usize);
    let t = run(iters, setup, |input| outputs.push(black_box(f(input))));
    drop(outputs);
    t
}

fn run<I>(iters: u32, mut setup: impl FnMut() -> I, mut f: impl FnMut(I)) -> Duration {
    let inputs: Vec<I> = (0..iters).map(|_| setup()).collect();
    let start = Instant::now();
    for input in inputs {
        f(black_box(input));
    }
    start.elapsed()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn image(height: usize, width: usize) -> Array3<u8> {
    Array3::from_shape_fn((height, width, 3), |(y, x, c)| {
        (y.wrapping_mul(7) ^ x.wrapping_mul(13) ^ c) as u8
    })
}

fn cases<'a>(array: &'a Array3<u8>, frame: &'a Frame) -> Vec<Case<'a>> {
    let bytes = array.as_slice().expect("standard layout");
    // A transposed view (width × height × 3): the general, strided path.
    let transposed: ArrayView3<'a, u8> = array.view().permuted_axes([1, 0, 2]);
    vec![
        Case {
            name: "memcpy (baseline)",
            run: Box::new(move |n| timed(n, || (), |()| bytes.to_vec())),
        },
        Case {
            name: "Frame::from_ndarray",
            run: Box::new(move |n| timed(n, || (), |()| Frame::from_ndarray(array))),
        },
        Case {
            name: "Frame::from_ndarray (transposed)",
            run: Box::new(move |n| timed(n, || (), |()| Frame::from_ndarray(&transposed))),
        },
        Case {
            name: "Frame::from_array (no copy)",
            run: Box::new(move |n| timed_keep(n, || array.clone(), Frame::from_array)),
        },
        Case {
            name: "Frame::to_ndarray",
            run: Box::new(move |n| timed(n, || (), |()| frame.to_ndarray::<u8>())),
        },
        Case {
            name: "Frame::view (no copy)",
            run: Box::new(move |n| timed(n, || (), |()| frame.view::<u8>())),
        },
    ]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, budget) = if quick {
        (3, Duration::from_millis(2))
    } else {
        (15, Duration::from_millis(40))
    };
    println!(
        "{:<11} {:<34} {:>10} {:>9} {:>10}",
        "size", "case", "µs", "×memcpy", "×memcpy/r"
    );
    for (width, height) in [(640, 480), (1920, 1080)] {
        let array = image(height, width);
        let frame = Frame::from_ndarray(&array).expect("frame");
        let mut cases = cases(&array, &frame);
        // As many calls per round as a memcpy does in `budget`, the same for every case.
        let once = (cases[0].run)(3) / 3;
        let iters = (budget.as_secs_f64() / once.as_secs_f64().max(1e-9)).clamp(1.0, 10_000.0);
        let iters = iters as u32;
        let mut times = vec![Vec::new(); cases.len()];
        let mut ratios = vec![Vec::new(); cases.len()];
        for _ in 0..rounds {
            let per_call: Vec<f64> = cases
                .iter_mut()
                .map(|c| (c.run)(iters).as_secs_f64() / f64::from(iters))
                .collect();
            for (i, t) in per_call.iter().enumerate() {
                times[i].push(*t);
                ratios[i].push(t / per_call[0]);
            }
        }
        let base = median(&mut times[0].clone());
        for (i, case) in cases.iter().enumerate() {
            let t = median(&mut times[i]);
            println!(
                "{:<11} {:<34} {:>10.2} {:>9.3} {:>10.3}",
                format!("{width}x{height}x3"),
                case.name,
                t * 1e6,
                t / base,
                median(&mut ratios[i])
            );
        }
    }
}
