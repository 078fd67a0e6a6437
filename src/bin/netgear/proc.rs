//! This process's memory, from `/proc/self/status` (Linux; 0 elsewhere).

/// A `kB` field of `/proc/self/status`, or 0 when it cannot be read.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory now, KiB (`VmRSS`).
pub(crate) fn rss_kb() -> u64 {
    status_kb("VmRSS")
}

/// Peak resident memory, KiB (`VmHWM`).
pub(crate) fn peak_rss_kb() -> u64 {
    status_kb("VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let (now, peak) = (rss_kb(), peak_rss_kb());
        assert!(now > 0, "VmRSS");
        assert!(peak >= now, "VmHWM {peak} < VmRSS {now}");
    }
}
