//! Two network namespaces joined through a third that routes between them, whose paths the
//! tests cut one way or both (a blackhole route in the middle: no carrier changes, no reset,
//! packets simply vanish), and threads that enter a namespace. Needs root.

use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The sender's side of a [`Path`].
pub const SENDER_IP: &str = "10.77.1.2";
/// The receiver's side of a [`Path`].
pub const RECEIVER_IP: &str = "10.77.2.2";

/// Runs `ip ARGS`, panicking with what it printed.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2) runs");
    assert!(
        out.status.success(),
        "ip {}: {} (these tests need root and iproute2)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// A sender's namespace and a receiver's, routed through a middle one.
pub struct Path {
    sender: String,
    middle: String,
    receiver: String,
}

/// Which way a [`Path`] is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// What the sender sends.
    ToReceiver,
    /// What the receiver sends.
    ToSender,
}

impl Path {
    /// A new path (names unique in this process and among processes).
    pub fn new() -> Path {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let tag = format!(
            "ngpath{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = Path {
            sender: format!("{tag}s"),
            middle: format!("{tag}m"),
            receiver: format!("{tag}r"),
        };
        for ns in [&path.sender, &path.middle, &path.receiver] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let (s, m, r) = (&path.sender, &path.middle, &path.receiver);
        ip(&[
            "link", "add", "p0", "netns", s, "type", "veth", "peer", "name", "m0", "netns", m,
        ]);
        ip(&[
            "link", "add", "m1", "netns", m, "type", "veth", "peer", "name", "p0", "netns", r,
        ]);
        for (ns, dev, addr) in [
            (s, "p0", "10.77.1.2/24"),
            (m, "m0", "10.77.1.1/24"),
            (m, "m1", "10.77.2.1/24"),
            (r, "p0", "10.77.2.2/24"),
        ] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        ip(&["-n", s, "route", "add", "default", "via", "10.77.1.1"]);
        ip(&["-n", r, "route", "add", "default", "via", "10.77.2.1"]);
        let out = Command::new("ip")
            .args(["netns", "exec", m, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            .output()
            .expect("sysctl runs");
        assert!(out.status.success(), "ip_forward in {m}: {out:?}");
        path
    }

    /// Cuts the path one way (`cut` true) or mends it: the middle drops what goes that way.
    pub fn cut(&self, way: Way, cut: bool) {
        let to = match way {
            Way::ToReceiver => RECEIVER_IP,
            Way::ToSender => SENDER_IP,
        };
        let verb = if cut { "add" } else { "del" };
        ip(&[
            "-n",
            &self.middle,
            "route",
            verb,
            "blackhole",
            &format!("{to}/32"),
        ]);
    }

    /// Runs `f` on a thread in the sender's (`receiver` false) or the receiver's namespace;
    /// threads it starts (libzmq's I/O threads among them) are there too.
    pub fn within<T: Send + 'static>(
        &self,
        receiver: bool,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let ns = if receiver {
            &self.receiver
        } else {
            &self.sender
        };
        let file = std::fs::File::open(format!("/var/run/netns/{ns}")).expect("the namespace");
        std::thread::spawn(move || {
            // SAFETY: setns(2) with a descriptor that `file` owns (an open namespace file) and
            // CLONE_NEWNET; it moves only this thread, which the caller dedicates to `f`.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            drop(file);
            f()
        })
    }
}

impl Drop for Path {
    fn drop(&mut self) {
        for ns in [&self.sender, &self.middle, &self.receiver] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}
