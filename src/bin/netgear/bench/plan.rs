//! Which cases a run measures and in which order: every size × pattern/reply shape ×
//! implementation, the implementations of one shape next to each other so that their rounds can
//! alternate.

use std::ops::Range;

use super::case::{Case, Impl, ReplyKind};

/// Sizes up to this many pixels are measured in the lock-step cases only (latency).
const LATENCY_PIXELS: usize = 64 * 64;

/// Default frame count of a case: about 3 minutes for a whole default run on 2 cores.
fn default_frames(implementation: Impl, width: usize, height: usize) -> u64 {
    let big = width * height >= 1280 * 720;
    match (implementation, big) {
        (Impl::Vidgear, true) => 200,
        (Impl::Vidgear, false) => 1000,
        (_, true) => 500,
        (_, false) => 2000,
    }
}

/// The cases of a run, grouped by size and case so that the implementations sit side by side.
pub(super) fn plan(sizes: &[(usize, usize)], impls: &[Impl], frames: Option<u64>) -> Vec<Case> {
    let lock_step = [
        (0, ReplyKind::Text),
        (0, ReplyKind::Frame),
        (1, ReplyKind::Text),
        (1, ReplyKind::Frame),
    ];
    let pipelined = [(2, ReplyKind::None), (3, ReplyKind::None)];
    let mut cases = Vec::new();
    for &(width, height) in sizes {
        let shapes = lock_step
            .iter()
            .chain(pipelined.iter().filter(|_| width * height > LATENCY_PIXELS));
        for &(pattern, reply) in shapes {
            for &implementation in impls {
                cases.push(Case {
                    implementation,
                    pattern,
                    reply,
                    width,
                    height,
                    frames: frames.unwrap_or_else(|| default_frames(implementation, width, height)),
                });
            }
        }
    }
    cases
}

/// The runs of consecutive cases of one shape (the implementations of one case, as [`plan`]
/// places them), as index ranges into `cases`.
pub(super) fn groups(cases: &[Case]) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut first = 0;
    while first < cases.len() {
        let last = first
            + cases[first..]
                .iter()
                .take_while(|c| c.same_shape(&cases[first]))
                .count();
        groups.push(first..last);
        first = last;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_runs_latency_sizes_lock_step_only() {
        let cases = plan(&[(64, 64), (640, 480)], &[Impl::Netgear], Some(7));
        assert_eq!(cases.len(), 4 + 6);
        assert!(cases[..4].iter().all(|c| c.pattern <= 1 && c.frames == 7));
        assert_eq!(cases[9].pattern, 3);
    }

    #[test]
    fn groups_hold_the_implementations_of_one_case() {
        let cases = plan(&[(64, 64)], &[Impl::Raw, Impl::Netgear], Some(7));
        assert_eq!(groups(&cases), vec![0..2, 2..4, 4..6, 6..8]);
        assert!(groups(&[]).is_empty());
    }
}
