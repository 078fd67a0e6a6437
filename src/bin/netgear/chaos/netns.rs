//! A rate-limited link between two network namespaces, for the chaos soak: a veth pair with a
//! `tbf` qdisc on both ends, which the soak takes down and brings up (`ip link set`). Needs
//! root (`ip netns`, `tc`); torn down when dropped, with every process left inside.

use std::process::Command;

/// One link: the receiver's namespace and address, the sender's namespace.
pub(crate) struct Link {
    ns_rx: String,
    ns_tx: String,
    dev_rx: String,
    dev_tx: String,
    /// The receiver's address, which the sender connects to.
    pub(crate) ip_rx: String,
}

/// Runs `ip ARGS` (or another program), failing with what it printed.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e} (the chaos soak needs iproute2, and root)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Link {
    /// Link `index` (several may exist at once) at `rate` (tc's syntax: `50mbit`).
    pub(crate) fn new(index: u8, rate: &str) -> Result<Link, String> {
        let tag = format!("ngc{}x{index}", std::process::id());
        let link = Link {
            ns_rx: format!("{tag}r"),
            ns_tx: format!("{tag}t"),
            dev_rx: format!("{tag}a"),
            dev_tx: format!("{tag}b"),
            ip_rx: format!("169.254.{}.1", 90 + u16::from(index)),
        };
        link.build(index, rate)?;
        Ok(link)
    }

    fn build(&self, index: u8, rate: &str) -> Result<(), String> {
        let dev_tx = &self.dev_tx;
        let ip_tx = format!("169.254.{}.2/30", 90 + u16::from(index));
        let ip_rx = format!("{}/30", self.ip_rx);
        run("ip", &["netns", "add", &self.ns_rx])?;
        run("ip", &["netns", "add", &self.ns_tx])?;
        run(
            "ip",
            &[
                "link",
                "add",
                &self.dev_rx,
                "type",
                "veth",
                "peer",
                "name",
                dev_tx,
            ],
        )?;
        run("ip", &["link", "set", &self.dev_rx, "netns", &self.ns_rx])?;
        run("ip", &["link", "set", dev_tx, "netns", &self.ns_tx])?;
        run(
            "ip",
            &[
                "-n",
                &self.ns_rx,
                "addr",
                "add",
                &ip_rx,
                "dev",
                &self.dev_rx,
            ],
        )?;
        run(
            "ip",
            &["-n", &self.ns_tx, "addr", "add", &ip_tx, "dev", dev_tx],
        )?;
        for (ns, dev) in [(&self.ns_rx, &self.dev_rx), (&self.ns_tx, dev_tx)] {
            run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
            run("ip", &["-n", ns, "link", "set", dev, "up"])?;
            run(
                "ip",
                &[
                    "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate",
                    rate, "burst", "256kb", "latency", "50ms",
                ],
            )?;
        }
        Ok(())
    }

    /// Takes the link down (`up` false) or brings it back; back up, returns once both ends
    /// carry again (the kernel reports a carrier's return up to a second late).
    pub(crate) fn set_up(&self, up: bool) -> Result<(), String> {
        let state = if up { "up" } else { "down" };
        run(
            "ip",
            &["-n", &self.ns_rx, "link", "set", &self.dev_rx, state],
        )?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while up && !(carries(&self.ns_rx, &self.dev_rx) && carries(&self.ns_tx, &self.dev_tx)) {
            if std::time::Instant::now() > deadline {
                return Err("the link did not come back up within 10 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(())
    }

    /// Waits (at most 10 s) until a packet from the sender's namespace reaches the receiver's
    /// and is answered, and returns when (µs since the epoch). Once the link is back up, the
    /// sender's kernel may take up to a second more to resolve the receiver's address anew (ARP
    /// probes a second apart, begun while the link was down): no program reaches the peer
    /// before that. The probe is a TCP connection to a port nobody listens on, refused the
    /// moment it arrives, from a thread that enters the sender's namespace.
    pub(crate) fn await_reachable(&self) -> Result<u64, String> {
        let ns = format!("/var/run/netns/{}", self.ns_tx);
        let to = std::net::SocketAddr::new(
            self.ip_rx
                .parse()
                .map_err(|e| format!("{}: {e}", self.ip_rx))?,
            PROBE_PORT,
        );
        std::thread::spawn(move || probe(&ns, to))
            .join()
            .map_err(|_| "the reachability probe panicked".to_string())?
    }

    /// A command that runs `program` in the receiver's (`rx`) or the sender's namespace.
    pub(crate) fn exec(&self, rx: bool, program: &std::path::Path) -> Command {
        let mut cmd = Command::new("ip");
        let ns = if rx { &self.ns_rx } else { &self.ns_tx };
        cmd.args(["netns", "exec", ns]).arg(program);
        cmd
    }
}

/// A port nobody listens on at the receiver's address (the discard service's).
const PROBE_PORT: u16 = 9;

/// Connects to `to` from namespace `ns` (this thread enters it) until the receiver's kernel
/// answers: refused (or accepted) means a packet went through.
fn probe(ns: &str, to: std::net::SocketAddr) -> Result<u64, String> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(ns).map_err(|e| format!("{ns}: {e}"))?;
    // SAFETY: setns(2) with a descriptor this function owns (an open namespace file) and
    // CLONE_NEWNET; it moves only this thread, which ends with the probe.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!("setns {ns}: {}", std::io::Error::last_os_error()));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match std::net::TcpStream::connect_timeout(&to, std::time::Duration::from_millis(200)) {
            Ok(_) => return Ok(super::peer::now_us()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Ok(super::peer::now_us());
            }
            // Unresolved (the address's resolution failed) or no answer yet: again.
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                return Err(format!(
                    "{to} not reachable within 10 s of the link's return: {e}"
                ));
            }
        }
    }
}

/// Whether `dev` in `ns` is operational (`state UP`: up, with a carrier).
fn carries(ns: &str, dev: &str) -> bool {
    Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(" state UP "))
}

impl Drop for Link {
    fn drop(&mut self) {
        for ns in [&self.ns_rx, &self.ns_tx] {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    if let Ok(pid) = pid.parse::<i32>() {
                        // SAFETY: kill(2) with a pid read from `ip netns pids` and a signal
                        // number; no memory is involved.
                        unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        }
                    }
                }
            }
            // Deleting a namespace deletes its end of the veth pair, and with it the other.
            let _ = run("ip", &["netns", "del", ns]);
        }
    }
}
