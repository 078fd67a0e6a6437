//! `recv --psnr`: how close the received frames are to the test pattern they were sent as
//! (for lossy compression), measured on a thread of its own so that receiving is not slowed.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use netgear::Frame;
use netgear::media::TestPattern;
use serde_json::Value as Json;

/// Identical frames count as this many dB (the PSNR of identical images is infinite).
const IDENTICAL_DB: f64 = 100.0;
/// Rows compared to tell which frame of the pattern's cycle a received frame is.
const ROW_STEP: usize = 16;

/// A frame's PSNR against the frame sent and, for a noisy pattern, against it clean.
type Measured = (f64, Option<f64>);

/// Measures the PSNR of frames handed to it against the built-in test pattern; frames that
/// arrive while it is busy are left out (counted).
pub(crate) struct PsnrMeter {
    frames: Option<SyncSender<Frame>>,
    worker: Option<JoinHandle<(Vec<Measured>, Option<f64>)>>,
    skipped: u64,
}

impl PsnrMeter {
    /// A meter for frames sent as the test pattern with this noise ([`TestPattern::noisy`]).
    pub(crate) fn new(noise: u8) -> PsnrMeter {
        // A rendezvous: a frame is handed over only while the meter waits for one, so it holds
        // at most the frame it measures (a received frame can be 64 MiB: frames queued here
        // would keep theirs alive on top of the receiver's budget).
        let (tx, rx) = sync_channel(0);
        let worker = std::thread::Builder::new()
            .name("psnr".into())
            .spawn(move || {
                lowest_priority();
                let values = measure(rx, noise);
                (values, crate::args::cpu_seconds(libc::RUSAGE_THREAD))
            })
            .ok();
        PsnrMeter {
            frames: worker.is_some().then_some(tx),
            worker,
            skipped: 0,
        }
    }

    /// Hands over a frame (a cheap clone of the received one).
    pub(crate) fn offer(&mut self, frame: &Frame) {
        let Some(tx) = &self.frames else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            tx.try_send(frame.clone())
        {
            self.skipped += 1;
        }
    }

    /// Writes `psnr_frames` (frames measured), `psnr_skipped`, `psnr_min_db` and
    /// `psnr_mean_db` (of the per-frame values; identical frames count as 100 dB) and, for a
    /// noisy pattern, `psnr_clean_min_db` and `psnr_clean_mean_db`: against the same frames
    /// without their noise (the scene the noise hides, which a codec that drops the noise
    /// comes closer to), and `psnr_cpu_s`, the CPU time measuring took.
    pub(crate) fn write_json(mut self, m: &mut serde_json::Map<String, Json>) {
        drop(self.frames.take());
        let (values, cpu) = self
            .worker
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default();
        let round = |v: f64| Json::from((v * 100.0).round() / 100.0);
        let write = |m: &mut serde_json::Map<String, Json>, name: &str, values: &[f64]| {
            let min = values.iter().copied().reduce(f64::min);
            let mean =
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
            m.insert(format!("{name}_min_db"), min.map_or(Json::Null, round));
            m.insert(format!("{name}_mean_db"), mean.map_or(Json::Null, round));
        };
        let sent: Vec<f64> = values.iter().map(|v| v.0).collect();
        m.insert("psnr_frames".into(), sent.len().into());
        m.insert("psnr_skipped".into(), self.skipped.into());
        write(m, "psnr", &sent);
        let clean: Vec<f64> = values.iter().filter_map(|v| v.1).collect();
        if !clean.is_empty() {
            write(m, "psnr_clean", &clean);
        }
        // Its own CPU time, which the summary's cpu_s leaves out.
        m.insert("psnr_cpu_s".into(), cpu.map_or(Json::Null, Json::from));
    }
}

/// Gives the calling thread the lowest CPU priority (nice 19), so that measuring takes only
/// time nothing else wants: on a machine with no core to spare, the meter would otherwise
/// slow the decoding (and a sender's encoding beside it) that it measures. Best effort.
fn lowest_priority() {
    // SAFETY: setpriority takes plain integers and changes no memory; on Linux, who = 0 with
    // PRIO_PROCESS names the calling thread (nice is per thread). A failure leaves the
    // priority as it was, which is only less polite.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// Each frame's PSNR against the frame sent and, for a noisy pattern, against it clean.
fn measure(frames: Receiver<Frame>, noise: u8) -> Vec<Measured> {
    let mut pattern: Option<(TestPattern, Option<TestPattern>)> = None;
    let mut values = Vec::new();
    for frame in frames {
        let &[h, w, 3] = frame.shape() else { continue };
        if frame.dtype() != netgear::Dtype::U8 {
            continue;
        }
        // The pattern is rendered at the largest size seen: a smaller frame (reduced by the
        // sender) is enlarged to it, as a viewer would show it.
        let larger = pattern
            .as_ref()
            .is_none_or(|(p, _)| w > p.width() || h > p.height());
        if larger {
            // The old pattern goes before the new one is rendered.
            drop(pattern.take());
            let p = TestPattern::noisy(w, h, noise);
            let clean = (noise > 0).then(|| p.clean());
            pattern = Some((p, clean));
        }
        let Some((p, clean)) = pattern.as_ref() else {
            continue;
        };
        let frame = if (w, h) == (p.width(), p.height()) {
            frame
        } else {
            match enlarge(&frame, p.width(), p.height()) {
                Some(f) => f,
                None => continue,
            }
        };
        if let Some((db, n)) = psnr_against(p, &frame) {
            let scene = clean.as_ref().and_then(|c| psnr(&c.frame(n), &frame));
            values.push((db, scene));
        }
    }
    values
}

/// `frame` (BGR) enlarged to `width × height`, bilinear.
fn enlarge(frame: &Frame, width: usize, height: usize) -> Option<Frame> {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let &[h, w, 3] = frame.shape() else {
        return None;
    };
    let dim = |n: usize| u32::try_from(n).ok();
    let src = ImageRef::new(dim(w)?, dim(h)?, frame.as_bytes(), PixelType::U8x3).ok()?;
    let mut out = vec![0u8; width * height * 3];
    let mut dst =
        Image::from_slice_u8(dim(width)?, dim(height)?, &mut out, PixelType::U8x3).ok()?;
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&src, &mut dst, &options).ok()?;
    Frame::new(netgear::Dtype::U8, vec![height, width, 3], out).ok()
}

/// The PSNR of `frame` against the pattern frame it is closest to (compared on every
/// sixteenth row first, then in full), and that frame's number.
fn psnr_against(pattern: &TestPattern, frame: &Frame) -> Option<(f64, u64)> {
    let got = frame.as_bytes();
    let row = pattern.width() * 3;
    let sampled = |reference: &[u8]| -> u64 {
        reference
            .chunks_exact(row)
            .zip(got.chunks_exact(row))
            .step_by(ROW_STEP)
            .map(|(a, b)| squared_error(a, b))
            .sum()
    };
    let n =
        (0..pattern.cycle_len() as u64).min_by_key(|&n| sampled(pattern.frame(n).as_bytes()))?;
    Some((psnr(&pattern.frame(n), frame)?, n))
}

/// The PSNR of `got` against `reference` (frames of one size).
fn psnr(reference: &Frame, got: &Frame) -> Option<f64> {
    let (reference, got) = (reference.as_bytes(), got.as_bytes());
    if reference.len() != got.len() || got.is_empty() {
        return None;
    }
    let mse = squared_error(reference, got) as f64 / got.len() as f64;
    Some(if mse == 0.0 {
        IDENTICAL_DB
    } else {
        (10.0 * (255.0f64 * 255.0 / mse).log10()).min(IDENTICAL_DB)
    })
}

fn squared_error(a: &[u8], b: &[u8]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_frame_is_identical_to_itself_and_a_damaged_one_is_not() {
        let p = TestPattern::new(64, 48);
        let f = p.frame(1);
        assert_eq!(psnr_against(&p, &f), Some((IDENTICAL_DB, 1)));
        let mut bytes = f.as_bytes().to_vec();
        for b in bytes.iter_mut().step_by(7) {
            *b = if *b >= 128 { *b - 8 } else { *b + 8 };
        }
        let damaged = Frame::new(netgear::Dtype::U8, vec![48, 64, 3], bytes).expect("a frame");
        let (db, _) = psnr_against(&p, &damaged).expect("measured");
        // An error of 8 on one sample in seven: MSE 64/7, about 38.5 dB.
        assert!((38.0..39.0).contains(&db), "{db}");
    }

    #[test]
    fn noisy_frames_and_reduced_frames_are_measured_against_what_was_sent() {
        let (tx, rx) = sync_channel(4);
        let p = TestPattern::noisy(128, 96, 8);
        tx.send(p.frame(2)).expect("sent");
        // The sender reduced one by 25 % (its rate control): enlarged back, it is close to the
        // full frame, not identical (detail and noise are lost).
        let reduced =
            netgear::media::reducer(&p.frame(3), 25.0, netgear::media::Interpolation::Area)
                .expect("reduced");
        tx.send(reduced).expect("sent");
        drop(tx);
        let values = measure(rx, 8);
        assert_eq!(values.len(), 2);
        // Frame 2 is the noisy frame sent, exactly; its noise (±8) costs about 34 dB against
        // the scene.
        assert_eq!(values[0].0, IDENTICAL_DB);
        assert!(
            values[0].1.is_some_and(|db| (32.0..37.0).contains(&db)),
            "{values:?}"
        );
        assert!((20.0..40.0).contains(&values[1].0), "{values:?}");
    }
}
