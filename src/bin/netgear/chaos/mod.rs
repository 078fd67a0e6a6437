//! `netgear soak --chaos`: both ends as processes of their own (`netgear chaos-peer`, with
//! `reconnect`) in two network namespaces joined by a rate-limited link, one link per pattern,
//! all patterns at once. At random times the soak kills the receiver (SIGKILL) and starts a
//! new one, takes the link down and brings it up, stalls the receiver's application, and kills
//! the sender and starts a new one. Every frame is accounted for (`account.rs`); it fails when
//! a frame is lost outside an outage, an outage's resume takes over 1 s after the peer is back,
//! a process's memory or descriptors grow, or a process aborts.
//!
//! - `netns.rs`: the link.
//! - `peer.rs`: the two ends (`netgear chaos-peer`).
//! - `account.rs`: the books.
//! - `plot.rs`: memory and descriptors over time (`--plot`).

pub(crate) mod account;
mod netns;
pub(crate) mod peer;
mod plot;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use account::{Arrival, Books, Event, Incarnation, Kind, Sample};
use netns::Link;
use peer::now_us;
use serde_json::{Value as Json, json};

/// Bound on waiting for a peer to start, or to end at the close: a hang guard.
const PEER_WAIT: Duration = Duration::from_secs(30);

/// What a chaos soak runs.
#[derive(Debug, Clone)]
pub(crate) struct ChaosOptions {
    pub(crate) minutes: f64,
    pub(crate) patterns: Vec<u8>,
    pub(crate) rate: String,
    pub(crate) fps: f64,
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) seed: u64,
    pub(crate) plot: Option<PathBuf>,
    pub(crate) json: bool,
    /// The resume goal: the first fresh frame within this of the peer's return, ms.
    pub(crate) resume_goal_ms: f64,
}

/// Which end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Role {
    Sender,
    Receiver,
}

/// What the peers of one pattern reported, as they report it.
#[derive(Default)]
struct Log {
    arrivals: Vec<Arrival>,
    incarnations: BTreeMap<u64, Incarnation>,
    /// Per process: (role, its start's number) → samples.
    samples: BTreeMap<(Role, u64), Vec<Sample>>,
    /// Receivers that have bound, by their start's number: when.
    listening: BTreeMap<u64, u64>,
    /// Processes that ended by themselves, and how.
    aborts: Vec<String>,
    /// The last lines each process wrote on stderr.
    stderr: BTreeMap<(Role, u64), Vec<String>>,
}

type Shared = Arc<Mutex<Log>>;

fn log(shared: &Shared) -> MutexGuard<'_, Log> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One running peer.
struct Peer {
    role: Role,
    index: u64,
    child: Child,
}

impl Peer {
    fn signal(&self, sig: i32) {
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: kill(2) with our child's pid (not yet reaped: `child` is held) and a signal
        // number; no memory is involved.
        unsafe {
            libc::kill(pid, sig);
        }
    }

    /// SIGKILL, and reap.
    fn kill(mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// Whether it has exited by itself.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

/// One pattern's run: its link, its peers, what they reported.
struct Run {
    pattern: u8,
    opts: ChaosOptions,
    link: Link,
    port: u16,
    shared: Shared,
    exe: PathBuf,
    events: Vec<Event>,
    rng: fastrand::Rng,
}

impl Run {
    fn spawn(&self, role: Role, index: u64) -> Result<Peer, String> {
        let rx = role == Role::Receiver;
        let mut cmd = self.link.exec(rx, &self.exe);
        cmd.arg("chaos-peer")
            .args(["--role", if rx { "recv" } else { "send" }])
            .args(["--address", if rx { "*" } else { &self.link.ip_rx }])
            .args(["--port", &self.port.to_string()])
            .args(["--pattern", &self.pattern.to_string()])
            .args(["--fps", &self.opts.fps.to_string()])
            .args(["--width", &self.opts.width.to_string()])
            .args(["--height", &self.opts.height.to_string()])
            .args(["--incarnation", &index.to_string()])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // NETGEAR_CHAOS_LOGS=DIR: each process's debug log into a file of its own there.
        if let Some(dir) = std::env::var_os("NETGEAR_CHAOS_LOGS") {
            let name = format!("p{}-{role:?}-{index}.log", self.pattern);
            let file = std::fs::File::create(std::path::Path::new(&dir).join(name))
                .map_err(|e| format!("NETGEAR_CHAOS_LOGS: {e}"))?;
            cmd.env("RUST_LOG", "netgear=debug").stderr(file);
        }
        let started_us = now_us();
        let mut child = cmd.spawn().map_err(|e| format!("start chaos-peer: {e}"))?;
        if role == Role::Sender {
            log(&self.shared).incarnations.insert(
                index,
                Incarnation {
                    started_us,
                    ended_us: u64::MAX,
                    sent: 0,
                },
            );
        }
        let (out, err) = (child.stdout.take(), child.stderr.take());
        let shared = self.shared.clone();
        if let Some(out) = out {
            thread::spawn(move || read_reports(out, role, index, &shared));
        }
        let shared = self.shared.clone();
        if let Some(err) = err {
            thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut l = log(&shared);
                    let kept = l.stderr.entry((role, index)).or_default();
                    kept.push(line);
                    if kept.len() > 20 {
                        kept.remove(0);
                    }
                }
            });
        }
        Ok(Peer { role, index, child })
    }

    /// Starts receiver `index` and waits until it has bound: when it did.
    fn start_receiver(&self, index: u64) -> Result<(Peer, u64), String> {
        let peer = self.spawn(Role::Receiver, index)?;
        let deadline = Instant::now() + PEER_WAIT;
        loop {
            if let Some(&t) = log(&self.shared).listening.get(&index) {
                return Ok((peer, t));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "receiver {index} did not bind within {PEER_WAIT:?}"
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// A random time between `lo` and `hi` seconds.
    fn between(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::from_secs_f64(lo + (hi - lo) * self.rng.f64())
    }

    /// Checks that neither peer has exited by itself; records it if one has.
    fn check_alive(&self, peers: &mut [&mut Peer]) -> bool {
        let mut alive = true;
        for p in peers.iter_mut() {
            if let Some(status) = p.exited() {
                log(&self.shared).aborts.push(format!(
                    "{:?} {} exited by itself ({status})",
                    p.role, p.index
                ));
                alive = false;
            }
        }
        alive
    }

    /// The soak itself: warm-up, then outages at random until the time is up, then the end.
    fn chaos(&mut self) -> Result<(), String> {
        let began = Instant::now();
        let total = Duration::from_secs_f64(self.opts.minutes * 60.0);
        // Short runs get shorter outages and gaps, so that every kind comes up.
        let (gap, longest) = if self.opts.minutes < 5.0 {
            ((2.0, 6.0), 4.0)
        } else {
            ((5.0, 20.0), 12.0)
        };
        let (mut rx, _) = self.start_receiver(0)?;
        let mut tx = self.spawn(Role::Sender, 0)?;
        let (mut rx_next, mut tx_next) = (1, 1);
        // The stream is up once a frame has arrived.
        let deadline = Instant::now() + PEER_WAIT;
        while log(&self.shared).arrivals.is_empty() {
            if Instant::now() > deadline || !self.check_alive(&mut [&mut rx, &mut tx]) {
                return Err("no frame arrived at the start".into());
            }
            thread::sleep(Duration::from_millis(10));
        }
        let mut kinds = Vec::new();
        loop {
            let wait = self.between(gap.0, gap.1);
            let length = self.between(0.5, longest);
            if began.elapsed() + wait + length + Duration::from_secs(5) > total {
                break;
            }
            thread::sleep(wait);
            if !self.check_alive(&mut [&mut rx, &mut tx]) {
                break;
            }
            if kinds.is_empty() {
                kinds = only_kinds().unwrap_or_else(|| Kind::ALL.to_vec());
                self.rng.shuffle(&mut kinds);
            }
            let kind = kinds.pop().unwrap_or(Kind::Stall);
            let start_us = now_us();
            let mut link_up_us = None;
            let back_us = match kind {
                Kind::KillReceiver => {
                    rx.kill();
                    thread::sleep(length);
                    let (peer, bound) = self.start_receiver(rx_next)?;
                    rx = peer;
                    rx_next += 1;
                    bound
                }
                Kind::LinkDown => {
                    self.link.set_up(false)?;
                    thread::sleep(length);
                    self.link.set_up(true)?;
                    link_up_us = Some(now_us());
                    self.link.await_reachable()?
                }
                Kind::Stall => {
                    rx.signal(libc::SIGUSR1);
                    thread::sleep(length);
                    rx.signal(libc::SIGUSR2);
                    now_us()
                }
                Kind::KillSender => {
                    let index = tx.index;
                    tx.kill();
                    if let Some(life) = log(&self.shared).incarnations.get_mut(&index) {
                        life.ended_us = start_us;
                    }
                    thread::sleep(length);
                    tx = self.spawn(Role::Sender, tx_next)?;
                    tx_next += 1;
                    now_us()
                }
            };
            self.events.push(Event {
                kind,
                start_us,
                back_us,
                link_up_us,
            });
        }
        // The rest of the time (at least 5 s after the last outage), then the end: the sender
        // ends its stream cleanly, the receiver gets the end message.
        thread::sleep(total.saturating_sub(began.elapsed()));
        let alive = self.check_alive(&mut [&mut rx, &mut tx]);
        let end_us = now_us();
        tx.signal(libc::SIGTERM);
        for mut p in [tx, rx] {
            let deadline = Instant::now() + PEER_WAIT;
            let status = loop {
                if let Some(s) = p.exited() {
                    break Some(s);
                }
                if Instant::now() > deadline {
                    break None;
                }
                thread::sleep(Duration::from_millis(10));
            };
            match status {
                Some(s) if s.success() => {}
                Some(s) if alive => log(&self.shared)
                    .aborts
                    .push(format!("{:?} {} ended with {s}", p.role, p.index)),
                Some(_) => {}
                None => {
                    log(&self.shared).aborts.push(format!(
                        "{:?} {} did not end within {PEER_WAIT:?} of the end",
                        p.role, p.index
                    ));
                    p.kill();
                }
            }
        }
        // The last sender's frames: all it numbered until its end.
        let mut l = log(&self.shared);
        if let Some(life) = l.incarnations.values_mut().last()
            && life.ended_us == u64::MAX
        {
            life.ended_us = end_us.max(now_us());
        }
        Ok(())
    }
}

/// NETGEAR_CHAOS_KINDS=kill_receiver,link_down,...: only these outages (to look into one).
fn only_kinds() -> Option<Vec<Kind>> {
    let names = std::env::var("NETGEAR_CHAOS_KINDS").ok()?;
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| {
            let name = serde_json::to_value(k).ok();
            names
                .split(',')
                .any(|n| name.as_ref().and_then(Json::as_str) == Some(n.trim()))
        })
        .collect();
    (!kinds.is_empty()).then_some(kinds)
}

/// Reads one peer's JSON lines into the log.
fn read_reports(out: impl std::io::Read, role: Role, index: u64, shared: &Shared) {
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        let Ok(r) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        let mut l = log(shared);
        let t_us = r["t_us"].as_u64().unwrap_or(0);
        if r.get("listening").is_some() {
            l.listening.insert(index, t_us);
        }
        if let Some(frames) = r["frames"].as_array() {
            for f in frames {
                let v = |i: usize| f.get(i).and_then(Json::as_u64).unwrap_or(u64::MAX);
                l.arrivals.push(Arrival {
                    inc: v(0),
                    seq: v(1),
                    captured_us: v(2),
                    arrived_us: v(3),
                });
            }
        }
        if role == Role::Sender
            && let Some(sent) = r["sent"].as_u64()
            && let Some(life) = l.incarnations.get_mut(&index)
        {
            life.sent = life.sent.max(sent);
        }
        if let (Some(rss_kb), Some(fds)) = (r["rss_kb"].as_u64(), r["fds"].as_u64()) {
            l.samples
                .entry((role, index))
                .or_default()
                .push(Sample { t_us, rss_kb, fds });
        }
        if let Some(e) = r["error"].as_str() {
            l.aborts.push(format!("{role:?} {index}: {e}"));
        }
    }
}

/// What a process may hold by design, KiB: a receiver queues up to 4 whole messages and reads
/// a fifth (`RECEIVE_HWM`), a PUSH sender queues 8: eight frames.
fn budget_kb(opts: &ChaosOptions) -> u64 {
    (8 * opts.width * opts.height * 3 / 1024) as u64
}

/// One pattern's result.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Report {
    pattern: u8,
    minutes: f64,
    #[serde(flatten)]
    books: Books,
    events: Vec<Event>,
    resume_ms_p50: Option<f64>,
    resume_ms_p99: Option<f64>,
    resume_ms_max: Option<f64>,
    /// After a link outage, from the link's return to the receiver being reachable (the
    /// kernel resolving its address anew), ms: not part of the resume time.
    reachable_ms_p50: Option<f64>,
    /// See `reachable_ms_p50`.
    reachable_ms_max: Option<f64>,
    /// Per process that lived long enough to tell: its role, start, and growth.
    growth: Vec<(Role, u64, account::Growth)>,
    aborts: Vec<String>,
    /// The memory a process may hold by design beyond its flat line, KiB (see
    /// [`budget_kb`]).
    budget_kb: u64,
    passed: bool,
    #[serde(skip)]
    samples: BTreeMap<(Role, u64), Vec<Sample>>,
}

/// Runs one pattern's soak on link `index`.
fn run_pattern(pattern: u8, index: u8, opts: &ChaosOptions) -> Result<Report, String> {
    let link = Link::new(index, &opts.rate)?;
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut run = Run {
        pattern,
        opts: opts.clone(),
        link,
        port: 5600,
        shared: Shared::default(),
        exe,
        events: Vec::new(),
        rng: fastrand::Rng::with_seed(opts.seed ^ u64::from(pattern)),
    };
    let outcome = run.chaos();
    // Reports still on their way from the processes that just ended.
    thread::sleep(Duration::from_millis(300));
    let mut l = log(&run.shared);
    if let Err(e) = outcome {
        l.aborts.push(e);
    }
    let books = account::account(&l.arrivals, &l.incarnations, &run.events);
    let resumes: Vec<f64> = books.resume_ms.iter().flatten().copied().collect();
    let unresumed = books.resume_ms.iter().filter(|r| r.is_none()).count();
    let growth: Vec<_> = l
        .samples
        .iter()
        .filter_map(|(&(role, i), s)| Some((role, i, account::growth(s)?)))
        .collect();
    let max = resumes.iter().copied().reduce(f64::max);
    let reachable: Vec<f64> = run
        .events
        .iter()
        .filter_map(|e| Some(e.back_us.saturating_sub(e.link_up_us?) as f64 / 1e3))
        .collect();
    let mut aborts = std::mem::take(&mut l.aborts);
    if !aborts.is_empty() {
        for ((role, i), lines) in &l.stderr {
            if let Some(last) = lines.last() {
                aborts.push(format!("{role:?} {i} said last: {last}"));
            }
        }
    }
    let passed = aborts.is_empty()
        && books.lost_outside == 0
        && books.out_of_order == 0
        && unresumed == 0
        && max.is_none_or(|m| m <= opts.resume_goal_ms)
        && growth.iter().all(|(_, _, g)| g.flat(budget_kb(opts)));
    Ok(Report {
        pattern,
        minutes: opts.minutes,
        resume_ms_p50: account::percentile(&resumes, 50.0),
        resume_ms_p99: account::percentile(&resumes, 99.0),
        resume_ms_max: max,
        reachable_ms_p50: account::percentile(&reachable, 50.0),
        reachable_ms_max: reachable.iter().copied().reduce(f64::max),
        events: std::mem::take(&mut run.events),
        books,
        growth,
        aborts,
        budget_kb: budget_kb(opts),
        passed,
        samples: std::mem::take(&mut l.samples),
    })
}

/// The chaos soak: every pattern at once, each on its own link; fails unless every one passed.
pub(crate) fn chaos(opts: &ChaosOptions) -> Result<Vec<Report>, String> {
    // SAFETY: geteuid(2) takes nothing and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("the chaos soak needs root (network namespaces, tc)".into());
    }
    let reports: Vec<Result<Report, String>> = thread::scope(|s| {
        let handles: Vec<_> = opts
            .patterns
            .iter()
            .enumerate()
            .map(|(i, &p)| s.spawn(move || run_pattern(p, i as u8, opts)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a soak thread panicked".into()))
            })
            .collect()
    });
    let reports: Vec<Report> = reports.into_iter().collect::<Result<_, _>>()?;
    for r in &reports {
        print_report(r, opts.json);
    }
    if let Some(path) = &opts.plot {
        // A colour per pattern and role.
        let mut processes = Vec::new();
        let mut outages = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            for (&(role, index), samples) in &r.samples {
                let series = 2 * i + usize::from(role == Role::Receiver);
                processes.push(plot::Process {
                    series,
                    legend: (index == 0).then(|| format!("pattern {} {role:?}", r.pattern)),
                    samples,
                });
            }
            outages.extend(r.events.iter().map(|e| (2 * i, e.start_us)));
        }
        plot::draw(path, &processes, &outages)?;
    }
    Ok(reports)
}

impl Report {
    pub(crate) fn passed(&self) -> bool {
        self.passed
    }

    pub(crate) fn pattern(&self) -> u8 {
        self.pattern
    }
}

fn print_report(r: &Report, json: bool) {
    let b = &r.books;
    let kinds: BTreeMap<String, usize> = r.events.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(format!("{:?}", e.kind)).or_default() += 1;
        m
    });
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
    eprintln!(
        "chaos pattern {}: {:.1} min, {} outages {:?}; sent {}, received {}, lost in outages {} \
         ({:?}), lost outside {} {:?}, out of order {}; resume p50 {} ms, p99 {} ms, max {} ms \
         (after link outages, reachable {} ms after the link's return, max {} ms); {} processes flat: {}; aborts {:?}: {}",
        r.pattern,
        r.minutes,
        r.events.len(),
        kinds,
        b.sent,
        b.received,
        b.lost_per_outage.iter().sum::<u64>(),
        b.lost_per_outage,
        b.lost_outside,
        b.lost_outside_examples,
        b.out_of_order,
        ms(r.resume_ms_p50),
        ms(r.resume_ms_p99),
        ms(r.resume_ms_max),
        ms(r.reachable_ms_p50),
        ms(r.reachable_ms_max),
        r.growth.len(),
        r.growth.iter().all(|(_, _, g)| g.flat(r.budget_kb)),
        r.aborts,
        if r.passed { "PASS" } else { "FAIL" }
    );
    if json {
        println!("{}", serde_json::to_string(&json!(r)).unwrap_or_default());
    }
}
