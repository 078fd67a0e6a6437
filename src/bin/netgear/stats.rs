//! [`StreamStats`]: frame count, rate and a running SHA-256 of a stream's frames, and
//! [`ReplyTally`]: what a server got back — what the CLI reports, and what tests compare
//! between the two ends.

use std::time::Instant;

use sha2::{Digest, Sha256};

use netgear::{Frame, Reply};
use serde_json::Value as Json;

/// Counts frames, times them from the first to the last, and hashes their bytes in order.
#[derive(Debug, Clone)]
pub(crate) struct StreamStats {
    frames: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    hasher: Option<Sha256>,
    shape: Option<Vec<usize>>,
    dtype: Option<&'static str>,
}

impl StreamStats {
    /// New, empty stats; `hash` turns the SHA-256 on (it costs about 2 ms per 1080p frame).
    pub(crate) fn new(hash: bool) -> StreamStats {
        StreamStats {
            frames: 0,
            first: None,
            last: None,
            hasher: hash.then(Sha256::new),
            shape: None,
            dtype: None,
        }
    }

    /// Records one frame.
    pub(crate) fn record(&mut self, frame: &Frame) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.frames += 1;
        if let Some(h) = &mut self.hasher {
            h.update(frame.as_bytes());
        }
        if self.shape.as_deref() != Some(frame.shape()) {
            self.shape = Some(frame.shape().to_vec());
        }
        self.dtype = Some(frame.dtype().numpy_name());
    }

    /// Frames recorded.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames per second from the first frame to the last (0 with fewer than two).
    pub(crate) fn fps(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) if self.frames > 1 && b > a => {
                (self.frames - 1) as f64 / (b - a).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Hex SHA-256 over every recorded frame's bytes, in order (`None` when hashing is off).
    pub(crate) fn sha256(&self) -> Option<String> {
        self.hasher
            .as_ref()
            .map(|h| hex::encode(h.clone().finalize()))
    }

    /// Shape of the last frame.
    pub(crate) fn shape(&self) -> Option<&[usize]> {
        self.shape.as_deref()
    }

    /// The stats as a JSON object: `frames`, `fps`, `sha256` (when hashing), `shape`, `dtype`.
    pub(crate) fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("frames".into(), self.frames.into());
        m.insert("fps".into(), ((self.fps() * 10.0).round() / 10.0).into());
        if let Some(h) = self.sha256() {
            m.insert("sha256".into(), h.into());
        }
        m.insert("shape".into(), serde_json::json!(self.shape));
        m.insert("dtype".into(), serde_json::json!(self.dtype));
        m
    }
}

/// What the server got back: counts, the first data values, a hash of reply frames.
pub(crate) struct ReplyTally {
    pub(crate) replies: u64,
    pub(crate) frames: u64,
    pub(crate) data: Vec<Json>,
    pub(crate) frame_stats: StreamStats,
}

impl ReplyTally {
    pub(crate) fn new(hash: bool) -> ReplyTally {
        ReplyTally {
            replies: 0,
            frames: 0,
            data: Vec::new(),
            frame_stats: StreamStats::new(hash),
        }
    }

    pub(crate) fn add(&mut self, r: &Reply) {
        self.replies += 1;
        match r {
            Reply::Data(d) if self.data.len() < 5 => self.data.push(d.to_json()),
            Reply::Data(_) => {}
            Reply::Frame(f) => {
                self.frames += 1;
                self.frame_stats.record(f);
            }
        }
    }

    pub(crate) fn write_json(&self, m: &mut serde_json::Map<String, Json>) {
        m.insert("replies".into(), self.replies.into());
        m.insert("reply_data".into(), Json::Array(self.data.clone()));
        m.insert("reply_frames".into(), self.frames.into());
        if let Some(h) = self.frame_stats.sha256() {
            m.insert("reply_sha256".into(), h.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_bytes_in_order() {
        let a = Frame::from_bgr(1, 1, vec![1, 2, 3]).unwrap();
        let b = Frame::from_bgr(1, 1, vec![4, 5, 6]).unwrap();
        let mut s = StreamStats::new(true);
        s.record(&a);
        s.record(&b);
        let mut t = StreamStats::new(true);
        t.record(&b);
        t.record(&a);
        assert_ne!(s.sha256(), t.sha256());
        // sha256(b"\x01\x02\x03\x04\x05\x06")
        assert_eq!(
            s.sha256().unwrap(),
            "7192385c3c0605de55bb9476ce1d90748190ecb32a8eed7f5207b30cf6a1fe89"
        );
        assert_eq!(s.frames(), 2);
        assert!(StreamStats::new(false).sha256().is_none());
    }
}
