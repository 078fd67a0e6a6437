//! The chaos soak's books: every frame the senders numbered, matched against what arrived,
//! each frame lost put down to an outage or not; each outage's resume latency; whether memory
//! and descriptors grew.

use std::collections::BTreeMap;

/// What the soak did to the link or its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// The receiver killed (SIGKILL), and a new one started.
    KillReceiver,
    /// The link taken down, and brought back up.
    LinkDown,
    /// The receiver's application stopped reading, then read on.
    Stall,
    /// The sender killed (SIGKILL), and a new one started.
    KillSender,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [
        Kind::KillReceiver,
        Kind::LinkDown,
        Kind::Stall,
        Kind::KillSender,
    ];
}

/// One outage, in microseconds since the epoch.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Event {
    pub(crate) kind: Kind,
    /// When it began.
    pub(crate) start_us: u64,
    /// When the peer was back: the new receiver bound, the receiver reachable over the link
    /// again, the application reading, the new sender started.
    pub(crate) back_us: u64,
    /// For a link outage, when the link was up again (both ends with a carrier): `back_us`
    /// follows once the kernel has resolved the peer's address anew.
    pub(crate) link_up_us: Option<u64>,
}

/// A frame that arrived: the sender's incarnation, the frame's number, when it was captured
/// and when it arrived (µs since the epoch).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub(crate) inc: u64,
    pub(crate) seq: u64,
    pub(crate) captured_us: u64,
    pub(crate) arrived_us: u64,
}

/// One incarnation of the sender: when it started and ended, and how many frames it
/// numbered (its last report).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Incarnation {
    pub(crate) started_us: u64,
    pub(crate) ended_us: u64,
    pub(crate) sent: u64,
}

/// Frames lost around an outage may be ones captured shortly before it (on their way) or
/// sent while the connection was being made anew: this much either side of it counts.
const AROUND_US: u64 = 1_000_000;

/// What the books show.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Books {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    /// Frames lost, per outage (in the order of the events).
    pub(crate) lost_per_outage: Vec<u64>,
    /// Frames lost with no outage near: each a failure.
    pub(crate) lost_outside: u64,
    /// The first few of them: (incarnation, first number, count).
    pub(crate) lost_outside_examples: Vec<(u64, u64, u64)>,
    /// Frames that arrived twice or after a later one.
    pub(crate) out_of_order: u64,
    /// The first few of them: (incarnation, number, the number expected at least, when it
    /// arrived).
    pub(crate) out_of_order_examples: Vec<(u64, u64, u64, u64)>,
    /// Per outage: from the peer's return to the arrival of the first frame captured after
    /// it, ms (`None`: no such frame came).
    pub(crate) resume_ms: Vec<Option<f64>>,
}

/// Matches what arrived against what was sent.
pub(crate) fn account(
    arrivals: &[Arrival],
    incarnations: &BTreeMap<u64, Incarnation>,
    events: &[Event],
) -> Books {
    let mut books = Books {
        lost_per_outage: vec![0; events.len()],
        resume_ms: vec![None; events.len()],
        received: arrivals.len() as u64,
        sent: incarnations.values().map(|i| i.sent).sum(),
        ..Books::default()
    };
    let mut by_inc: BTreeMap<u64, Vec<&Arrival>> = BTreeMap::new();
    for a in arrivals {
        by_inc.entry(a.inc).or_default().push(a);
    }
    for (&inc, life) in incarnations {
        let got = by_inc.remove(&inc).unwrap_or_default();
        // (first missing, count, window start, window end)
        let mut gaps: Vec<(u64, u64, u64, u64)> = Vec::new();
        let mut next = 0u64;
        let mut since = life.started_us;
        for a in &got {
            if a.seq < next {
                books.out_of_order += 1;
                if books.out_of_order_examples.len() < 5 {
                    books
                        .out_of_order_examples
                        .push((inc, a.seq, next, a.arrived_us));
                }
                continue;
            }
            if a.seq > next {
                gaps.push((next, a.seq - next, since, a.arrived_us));
            }
            next = a.seq + 1;
            since = a.captured_us;
        }
        if life.sent > next {
            gaps.push((next, life.sent - next, since, life.ended_us));
        }
        for (first, count, from, to) in gaps {
            let near = events.iter().position(|e| {
                e.start_us.saturating_sub(AROUND_US) <= to && e.back_us + AROUND_US >= from
            });
            match near {
                Some(i) => books.lost_per_outage[i] += count,
                None => {
                    books.lost_outside += count;
                    if books.lost_outside_examples.len() < 5 {
                        books.lost_outside_examples.push((inc, first, count));
                    }
                }
            }
        }
    }
    // Frames of an incarnation the soak does not know of.
    for got in by_inc.values() {
        books.out_of_order += got.len() as u64;
    }
    for (i, e) in events.iter().enumerate() {
        books.resume_ms[i] = arrivals
            .iter()
            .filter(|a| a.captured_us >= e.back_us)
            .map(|a| a.arrived_us)
            .min()
            .map(|t| t.saturating_sub(e.back_us) as f64 / 1e3);
    }
    books
}

/// One sample of a process's memory and descriptors.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Sample {
    pub(crate) t_us: u64,
    pub(crate) rss_kb: u64,
    pub(crate) fds: u64,
}

/// How a process's memory and descriptors went: the medians of the first and second half of
/// its life after a warm-up (the first quarter, at least 10 s), for a life of 60 s or more.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Growth {
    pub(crate) rss_kb: (u64, u64),
    pub(crate) fds: (u64, u64),
}

impl Growth {
    /// Flat: the second half within 5 % of the first, plus `budget_kb` of memory (the frames
    /// a process may queue by design: once its queue has been full, as in a stall, the
    /// allocator keeps those pages), and a descriptor more (one a reconnection holds for a
    /// moment).
    pub(crate) fn flat(&self, budget_kb: u64) -> bool {
        self.rss_kb.1 as f64 <= self.rss_kb.0 as f64 * 1.05 + budget_kb as f64
            && self.fds.1 as f64 <= (self.fds.0 as f64 * 1.05).ceil() + 1.0
    }
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// The growth of one process from its samples (in time order); `None` for a life shorter than
/// 60 s.
pub(crate) fn growth(samples: &[Sample]) -> Option<Growth> {
    let (first, last) = (samples.first()?, samples.last()?);
    let life = last.t_us.saturating_sub(first.t_us);
    if life < 60_000_000 {
        return None;
    }
    let warm = first.t_us + (life / 4).max(10_000_000);
    let mid = warm + (last.t_us - warm) / 2;
    let half = |lo: u64, hi: u64| -> Vec<&Sample> {
        samples
            .iter()
            .filter(|s| s.t_us >= lo && s.t_us < hi)
            .collect()
    };
    let (a, b) = (half(warm, mid), half(mid, u64::MAX));
    let med = |v: &[&Sample], f: fn(&Sample) -> u64| median(v.iter().map(|s| f(s)).collect());
    Some(Growth {
        rss_kb: (med(&a, |s| s.rss_kb), med(&b, |s| s.rss_kb)),
        fds: (med(&a, |s| s.fds), med(&b, |s| s.fds)),
    })
}

/// The `p`th percentile (0–100) of `v`, nearest rank.
pub(crate) fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(inc: u64, seq: u64, t: u64) -> Arrival {
        Arrival {
            inc,
            seq,
            captured_us: t,
            arrived_us: t + 10,
        }
    }

    fn life(sent: u64, ended_us: u64) -> Incarnation {
        Incarnation {
            started_us: 0,
            ended_us,
            sent,
        }
    }

    #[test]
    fn a_gap_near_an_outage_is_its_loss_and_one_far_from_any_is_a_failure() {
        let s = 10_000_000; // 10 s apart: only what an event overlaps is put down to it
        let arrivals = [
            arrival(0, 0, s),
            arrival(0, 3, 2 * s), // 1, 2 lost: the outage at 1.5 s
            arrival(0, 4, 3 * s),
            arrival(0, 6, 5 * s),     // 5 lost: nothing near
            arrival(0, 6, 5 * s + 1), // twice
        ];
        let events = [Event {
            kind: Kind::LinkDown,
            start_us: s + s / 2,
            back_us: s + s / 2 + 100,
            link_up_us: Some(s + s / 2 + 50),
        }];
        let incs = BTreeMap::from([(0, life(9, 6 * s))]); // 7, 8 lost at the end
        let b = account(&arrivals, &incs, &events);
        assert_eq!(b.lost_per_outage, vec![2]);
        assert_eq!(b.lost_outside, 1 + 2);
        assert_eq!(b.lost_outside_examples, vec![(0, 5, 1), (0, 7, 2)]);
        assert_eq!(b.out_of_order, 1);
        assert_eq!((b.sent, b.received), (9, 5));
        // The first frame captured after the return arrived at 2 s + 10 µs.
        let resumed = b.resume_ms[0].expect("resumed");
        assert!((resumed - (2 * s + 10 - (s + s / 2 + 100)) as f64 / 1e3).abs() < 1e-6);
    }

    #[test]
    fn a_killed_senders_last_frames_are_that_outages() {
        let s = 10_000_000;
        let arrivals = [arrival(0, 0, s), arrival(1, 0, 3 * s)];
        let events = [Event {
            kind: Kind::KillSender,
            start_us: 2 * s,
            back_us: 2 * s + 500,
            link_up_us: None,
        }];
        let incs = BTreeMap::from([(0, life(3, 2 * s)), (1, life(1, 4 * s))]);
        let b = account(&arrivals, &incs, &events);
        assert_eq!((b.lost_per_outage[0], b.lost_outside), (2, 0));
    }

    #[test]
    fn growth_compares_the_halves_after_the_warm_up() {
        let at = |t: u64, rss: u64, fds: u64| Sample {
            t_us: t * 1_000_000,
            rss_kb: rss,
            fds,
        };
        let flat: Vec<Sample> = (0..120).map(|t| at(t, 10_000 + t % 3, 12)).collect();
        assert!(growth(&flat).expect("long enough").flat(0));
        let leak: Vec<Sample> = (0..120).map(|t| at(t, 10_000 + 50 * t, 12)).collect();
        assert!(!growth(&leak).expect("long enough").flat(0));
        assert!(!growth(&leak).expect("long enough").flat(1_000));
        assert!(
            growth(&leak).expect("long enough").flat(4_000),
            "within the budget"
        );
        let fds: Vec<Sample> = (0..120).map(|t| at(t, 10_000, 12 + t / 10)).collect();
        assert!(!growth(&fds).expect("long enough").flat(1_000_000));
        assert!(growth(&flat[..30]).is_none(), "too short to tell");
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 99.0), Some(3.0));
    }
}
