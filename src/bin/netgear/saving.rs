//! `recv --save`: the recording of the frames received, sized by `--save-size` or by the first
//! frame it can take. Frames of another shape are skipped and counted, never an error: a
//! stranger's frames cannot end the recording, nor, with `--save-size`, spoil it.

use std::path::PathBuf;
use std::time::Duration;

use netgear::media::Recorder;
use netgear::{Error, Frame};
use serde_json::Value as Json;

/// How many skipped frames are named on stderr; the rest are only counted (a peer sending
/// frames of another shape cannot flood the terminal).
const SKIPS_SHOWN: u64 = 10;

/// `--save-size`: width, height and channels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SaveSize {
    width: usize,
    height: usize,
    channels: usize,
}

impl SaveSize {
    /// The shape of the frames this size takes (numpy's order).
    fn shape(self) -> Vec<usize> {
        match self.channels {
            1 => vec![self.height, self.width],
            c => vec![self.height, self.width, c],
        }
    }
}

/// Parses `--save-size`: `WxH` or `WxHxC`, each side from 1 to [`Recorder::MAX_SIDE`].
pub(crate) fn save_size(s: &str) -> Result<SaveSize, String> {
    let numbers = s
        .split('x')
        .map(str::parse::<usize>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{s:?}: {e} (expected WIDTHxHEIGHT or WIDTHxHEIGHTxCHANNELS)"))?;
    let (width, height, channels) = match numbers[..] {
        [w, h] => (w, h, 3),
        [w, h, c] => (w, h, c),
        _ => {
            return Err(format!(
                "{s:?}: expected WIDTHxHEIGHT or WIDTHxHEIGHTxCHANNELS"
            ));
        }
    };
    let side = 1..=Recorder::MAX_SIDE;
    if !side.contains(&width) || !side.contains(&height) {
        return Err(format!(
            "{s}: a recording takes 1 to {} pixels a side",
            Recorder::MAX_SIDE
        ));
    }
    if !matches!(channels, 1 | 3 | 4) {
        return Err(format!("{s}: 1 (gray), 3 (BGR) or 4 (BGRA) channels"));
    }
    Ok(SaveSize {
        width,
        height,
        channels,
    })
}

/// `--save`: the recording, sized by `--save-size` or else by the first frame it can take.
/// Frames of another shape or dtype (from another sender, say) are skipped and counted, never
/// an error: a stranger cannot end the recording, nor, with `--save-size`, spoil it.
pub(crate) struct Saving {
    path: PathBuf,
    fps: f64,
    ffmpeg: Option<PathBuf>,
    timeout: Duration,
    size: Option<SaveSize>,
    recorder: Option<Recorder>,
    skipped: u64,
}

/// What became of a recording.
pub(crate) struct Saved {
    frames: u64,
    skipped: u64,
    finished: Result<(), Error>,
}

impl Saving {
    /// A recording into `path` at `fps`, started by the first frame it takes.
    pub(crate) fn new(
        path: PathBuf,
        fps: f64,
        ffmpeg: Option<PathBuf>,
        timeout: Duration,
        size: Option<SaveSize>,
    ) -> Saving {
        Saving {
            path,
            fps,
            ffmpeg,
            timeout,
            size,
            recorder: None,
            skipped: 0,
        }
    }

    /// Records `frame`, or skips it.
    pub(crate) async fn offer(&mut self, frame: &Frame) -> Result<(), Error> {
        let recorder = match &mut self.recorder {
            Some(r) if r.accepts(frame) => r,
            Some(r) => {
                let recording = format!("uint8 frames of shape {:?}", r.shape());
                self.skip(frame, &recording);
                return Ok(());
            }
            None => match self.size {
                Some(size)
                    if frame.dtype() != netgear::Dtype::U8 || frame.shape() != size.shape() =>
                {
                    let recording = format!("uint8 frames of shape {:?}", size.shape());
                    self.skip(frame, &recording);
                    return Ok(());
                }
                None if !Recorder::can_record(frame) => {
                    let recording =
                        format!("uint8 images of 1 to {} pixels a side", Recorder::MAX_SIDE);
                    self.skip(frame, &recording);
                    return Ok(());
                }
                _ => self.recorder.insert(
                    Recorder::for_frame(&self.path, frame, self.fps, self.ffmpeg.as_deref())?
                        .with_timeout(self.timeout),
                ),
            },
        };
        recorder.write(frame).await
    }

    fn skip(&mut self, frame: &Frame, recording: &str) {
        self.skipped += 1;
        if self.skipped <= SKIPS_SHOWN {
            eprintln!(
                "not recorded: a {} frame of shape {:?} (the recording takes {recording}; {} \
                 skipped so far)",
                frame.dtype().numpy_name(),
                frame.shape(),
                self.skipped
            );
        }
        if self.skipped == SKIPS_SHOWN {
            eprintln!("not recorded: further skipped frames are counted (save_skipped), not shown");
        }
    }

    /// Finishes the file (a recording that never started has nothing to finish).
    pub(crate) async fn finish(self) -> Saved {
        let Some(recorder) = self.recorder else {
            return Saved {
                frames: 0,
                skipped: self.skipped,
                finished: Ok(()),
            };
        };
        let path = self.path.display();
        match recorder.finish().await {
            Ok(frames) => {
                eprintln!(
                    "recorded {frames} frames in {path} ({} skipped)",
                    self.skipped
                );
                Saved {
                    frames,
                    skipped: self.skipped,
                    finished: Ok(()),
                }
            }
            Err(e) => Saved {
                frames: 0,
                skipped: self.skipped,
                finished: Err(e),
            },
        }
    }
}

impl Saved {
    /// Adds the recording's counts (and its error) to the summary. A recording that failed
    /// fails a stream that did not; after a stream's own error it is only told on stderr.
    pub(crate) fn report(
        self,
        outcome: &mut Result<(), Error>,
        summary: &mut serde_json::Map<String, Json>,
    ) {
        summary.insert("save_frames".into(), self.frames.into());
        summary.insert("save_skipped".into(), self.skipped.into());
        if let Err(e) = self.finished {
            summary.insert("save_error".into(), netgear::error_chain(&e).into());
            if outcome.is_ok() {
                *outcome = Err(e);
            } else {
                eprintln!("error: the recording: {}", netgear::error_chain(&e));
            }
        }
    }
}
