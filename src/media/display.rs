//! A real window showing frames: the `cv2.imshow` of vidgear's examples, on minifb (X11).
//!
//! minifb's `Window` is not `Send` and must stay on the thread that created it, so the window
//! lives on its own thread. [`Display`] shares a one-frame slot with it: [`Display::show`] puts
//! the newest frame into the slot (replacing a frame the window has not taken yet: latest wins,
//! nothing queues up) and wakes the thread, which converts the frame into minifb's 0RGB buffer
//! and draws it. Between frames the thread still updates the window about 60 times a second, so
//! that close-button and Escape events are seen.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use minifb::{Key, Scale, ScaleMode, Window, WindowOptions};

use super::error::{MediaError, WindowFailure};
use crate::error::{Error, Result};
use crate::wire::{Dtype, Frame};

/// Size of the window before the first frame arrives (it then takes the frame's size).
const INITIAL_SIZE: (usize, usize) = (640, 480);
/// Period of window updates while no frames arrive (~60 updates/s).
const IDLE_TICK: Duration = Duration::from_nanos(1_000_000_000 / 60);
/// How often the frame rate in the title is measured and updated.
const TITLE_PERIOD: Duration = Duration::from_millis(500);
/// How long a window keeps trying to connect to an X server that refuses the connection.
const OPEN_RETRY: Duration = Duration::from_millis(500);

/// A window that shows frames as they come, with their size and frame rate in its title
/// (e.g. `netgear — 1920x1080 — 59.8 fps`).
///
/// It takes `height × width × 3` BGR `u8` frames (OpenCV's layout), as well as 2-D or
/// `height × width × 1` gray and `height × width × 4` BGRA `u8` frames. The window takes the size
/// of the first frame, and is recreated when the size changes.
///
/// [`show`](Display::show) never waits for the window: when the window is still drawing, the
/// pending frame is replaced by the newer one. Closing the window (or pressing Escape) makes
/// [`is_open`](Display::is_open) false and `show` fail with [`Error::Closed`]. Dropping the
/// `Display` closes the window and joins its thread.
///
/// `Display` is `Send` and `Sync`: frames can be shown from any thread or task.
pub struct Display {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// State shared by [`Display`] and its window thread.
struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
    open: AtomicBool,
    shown: AtomicU64,
    dropped: AtomicU64,
}

/// The hand-over slot: at most one pending frame, and the stop request of `Drop`.
#[derive(Default)]
struct Slot {
    frame: Option<Frame>,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display")
            .field("open", &self.is_open())
            .field("frames_shown", &self.frames_shown())
            .field("frames_dropped", &self.frames_dropped())
            .finish()
    }
}

impl Display {
    /// Opens a window titled `title` (it takes the size of the first frame).
    ///
    /// Waits until the window thread has created the window; fails with
    /// [`MediaError::Window`] (`cannot open a window: ...`) when there is no X server
    /// (`DISPLAY` unset or unreachable) or the X11 libraries cannot be loaded.
    pub fn open(title: &str) -> Result<Display> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            wake: Condvar::new(),
            open: AtomicBool::new(false),
            shown: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        let (ready_tx, ready_rx) = mpsc::sync_channel::<std::result::Result<(), WindowFailure>>(1);
        let thread_shared = Arc::clone(&shared);
        let title = title.replace('\0', " ");
        let thread = std::thread::Builder::new()
            .name("netgear-display".into())
            .spawn(move || window_thread(&title, &thread_shared, ready_tx))
            .map_err(|error| MediaError::Window(WindowFailure::NoThread { error }))?;
        let outcome = ready_rx.recv().unwrap_or(Err(WindowFailure::ThreadStopped));
        match outcome {
            Ok(()) => Ok(Display {
                shared,
                thread: Some(thread),
            }),
            Err(why) => {
                let _ = thread.join();
                Err(MediaError::Window(why).into())
            }
        }
    }

    /// Shows `frame`; never waits for the window.
    ///
    /// The frame is handed over without a copy (frames share their bytes). If the window has
    /// not yet drawn the previous frame, that frame is dropped in favour of this one.
    ///
    /// Fails with [`Error::Closed`] once the window is closed, and with
    /// [`MediaError::Unshowable`] for a frame that is not a `u8` image of 1, 3 (BGR) or 4 (BGRA)
    /// channels.
    pub fn show(&self, frame: &Frame) -> Result<()> {
        if !self.is_open() {
            return Err(Error::Closed);
        }
        check_showable(frame)?;
        let replaced = {
            let mut slot = self.shared.lock();
            slot.frame.replace(frame.clone()).is_some()
        };
        if replaced {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Whether the window is still open (false once the user closed it or pressed Escape).
    pub fn is_open(&self) -> bool {
        self.shared.open.load(Ordering::Acquire)
    }

    /// Number of frames drawn in the window so far.
    pub fn frames_shown(&self) -> u64 {
        self.shared.shown.load(Ordering::Relaxed)
    }

    /// Number of frames replaced by a newer one before the window could draw them.
    pub fn frames_dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Refuses frames the window cannot draw, on the caller's side (cheap: shape and dtype only).
fn check_showable(frame: &Frame) -> Result<()> {
    let channels = frame.channels().unwrap_or(0);
    let ok = frame.dtype() == Dtype::U8
        && matches!(channels, 1 | 3 | 4)
        && frame.width().is_some_and(|w| w > 0)
        && frame.height().is_some_and(|h| h > 0);
    if ok {
        Ok(())
    } else {
        Err(MediaError::Unshowable {
            dtype: frame.dtype(),
            shape: frame.shape().to_vec(),
        }
        .into())
    }
}

/// Converts a `u8` gray, BGR or BGRA frame into minifb's 0RGB pixels, in one pass over `buf`
/// (reused between frames: it only grows or shrinks when the size changes).
fn to_0rgb(frame: &Frame, buf: &mut Vec<u32>) {
    let (w, h) = (frame.width().unwrap_or(0), frame.height().unwrap_or(0));
    buf.resize(w * h, 0);
    let src = frame.as_bytes();
    match frame.channels() {
        Some(3) => {
            for (d, s) in buf.iter_mut().zip(src.chunks_exact(3)) {
                *d = (u32::from(s[2]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[0]);
            }
        }
        Some(4) => {
            for (d, s) in buf.iter_mut().zip(src.chunks_exact(4)) {
                *d = (u32::from(s[2]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[0]);
            }
        }
        _ => {
            for (d, &g) in buf.iter_mut().zip(src) {
                *d = u32::from(g) * 0x0001_0101;
            }
        }
    }
}

fn new_window(
    title: &str,
    width: usize,
    height: usize,
) -> std::result::Result<Window, WindowFailure> {
    let options = WindowOptions {
        resize: true,
        scale: Scale::X1,
        scale_mode: ScaleMode::AspectRatioStretch,
        ..WindowOptions::default()
    };
    // minifb reports X11 failures as errors, but guard against a panic in its setup too.
    let create = || {
        catch_unwind(AssertUnwindSafe(|| {
            Window::new(title, width, height, options)
        }))
    };
    let mut created = create();
    // An X server whose last client just disconnected resets and refuses connections for a
    // moment (e.g. right after another program's window closed): retry briefly before failing.
    let retry_until = Instant::now() + OPEN_RETRY;
    while matches!(&created, Ok(Err(e)) if e.to_string().contains("XOpenDisplay"))
        && std::env::var_os("DISPLAY").is_some()
        && Instant::now() < retry_until
    {
        std::thread::sleep(OPEN_RETRY / 20);
        created = create();
    }
    let mut window = match created {
        Ok(Ok(window)) => window,
        Ok(Err(e)) => {
            return Err(WindowFailure::Refused {
                message: e.to_string(),
                display: std::env::var("DISPLAY").ok(),
            });
        }
        Err(_) => return Err(WindowFailure::Panicked),
    };
    // The thread paces updates itself; minifb must not sleep inside update().
    window.set_target_fps(0);
    Ok(window)
}

/// The title with the frame size and, once measured, the frame rate.
fn full_title(title: &str, size: Option<(usize, usize)>, fps: Option<f64>) -> String {
    match (size, fps) {
        (None, _) => title.to_string(),
        (Some((w, h)), None) => format!("{title} — {w}x{h}"),
        (Some((w, h)), Some(fps)) => format!("{title} — {w}x{h} — {fps:.1} fps"),
    }
}

/// The body of the window thread: creates the window, reports to `open`, then draws frames
/// from the slot and keeps the window updated until it is closed or the `Display` dropped.
fn window_thread(
    title: &str,
    shared: &Shared,
    ready: mpsc::SyncSender<std::result::Result<(), WindowFailure>>,
) {
    let mut window = match new_window(title, INITIAL_SIZE.0, INITIAL_SIZE.1) {
        Ok(window) => window,
        Err(why) => {
            let _ = ready.send(Err(why));
            return;
        }
    };
    shared.open.store(true, Ordering::Release);
    let _ = ready.send(Ok(()));
    drop(ready);

    let mut buf: Vec<u32> = Vec::new();
    // Size of the window's current content: `None` until the first frame.
    let mut size: Option<(usize, usize)> = None;
    let mut shown_title = title.to_string();
    let mut fps: Option<f64> = None;
    let mut period_start = Instant::now();
    let mut period_frames = 0u64;
    let mut next_tick = Instant::now();

    loop {
        // Wait for a frame, the stop request, or the next idle tick.
        let frame = {
            let mut slot = shared.lock();
            loop {
                if slot.stop {
                    shared.open.store(false, Ordering::Release);
                    return;
                }
                if let Some(frame) = slot.frame.take() {
                    break Some(frame);
                }
                let now = Instant::now();
                if now >= next_tick {
                    break None;
                }
                slot = shared
                    .wake
                    .wait_timeout(slot, next_tick - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        };

        match frame {
            Some(frame) => {
                let (w, h) = (frame.width().unwrap_or(0), frame.height().unwrap_or(0));
                if size.is_some_and(|s| s != (w, h)) || (size.is_none() && (w, h) != INITIAL_SIZE) {
                    // A new size: a new window of that size. It is created before the old one
                    // is dropped: minifb gives each window its own X connection, and an X server
                    // with no client left resets (Xvfb, a bare Xorg), refusing the connection
                    // of a window created right after the old one closed its own.
                    let new_title = full_title(title, Some((w, h)), None);
                    match new_window(&new_title, w, h) {
                        Ok(new) => window = new,
                        Err(why) => {
                            tracing::warn!("display: cannot recreate the window at {w}x{h}: {why}");
                            break;
                        }
                    }
                    shown_title = new_title;
                    fps = None;
                    period_start = Instant::now();
                    period_frames = 0;
                }
                size = Some((w, h));
                to_0rgb(&frame, &mut buf);
                drop(frame);
                if let Err(e) = window.update_with_buffer(&buf, w, h) {
                    tracing::warn!("display: cannot draw a {w}x{h} frame: {e}");
                    window.update();
                } else {
                    shared.shown.fetch_add(1, Ordering::Relaxed);
                    period_frames += 1;
                }
            }
            None => window.update(),
        }
        next_tick = Instant::now() + IDLE_TICK;

        if !window.is_open() || window.is_key_down(Key::Escape) {
            break;
        }

        let elapsed = period_start.elapsed();
        if elapsed >= TITLE_PERIOD && size.is_some() {
            fps = Some(period_frames as f64 / elapsed.as_secs_f64());
            period_start = Instant::now();
            period_frames = 0;
        }
        let want = full_title(title, size, fps);
        if want != shown_title {
            window.set_title(&want);
            shown_title = want;
        }
    }

    // Closed by the user (or the window could not be recreated): refuse further frames.
    shared.open.store(false, Ordering::Release);
    shared.lock().frame = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_bgr_gray_and_bgra_to_0rgb() {
        let mut buf = Vec::new();
        let bgr = Frame::from_bgr(
            crate::Size {
                width: 2,
                height: 1,
            },
            vec![1u8, 2, 3, 4, 5, 6],
        )
        .unwrap();
        to_0rgb(&bgr, &mut buf);
        assert_eq!(buf, [0x030201, 0x060504]);

        let gray = Frame::new(Dtype::U8, vec![1, 3], vec![0u8, 0x80, 0xff]).unwrap();
        to_0rgb(&gray, &mut buf);
        assert_eq!(buf, [0, 0x808080, 0xffffff]);

        let bgra = Frame::new(Dtype::U8, vec![1, 1, 4], vec![9u8, 8, 7, 255]).unwrap();
        to_0rgb(&bgra, &mut buf);
        assert_eq!(buf, [0x070809]);
    }

    #[test]
    fn refuses_frames_it_cannot_draw() {
        let f32_frame = Frame::from_elements(&[0.5f32; 6], [1, 2, 3]).unwrap();
        assert!(matches!(
            check_showable(&f32_frame),
            Err(Error::Media(MediaError::Unshowable { .. }))
        ));
        let two_channels = Frame::zeros(Dtype::U8, [2, 2, 2]).unwrap();
        assert!(check_showable(&two_channels).is_err());
        let flat = Frame::zeros(Dtype::U8, [6]).unwrap();
        assert!(check_showable(&flat).is_err());
        let empty = Frame::zeros(Dtype::U8, [0, 4, 3]).unwrap();
        assert!(check_showable(&empty).is_err());
        assert!(check_showable(&Frame::zeros(Dtype::U8, [2, 2, 3]).unwrap()).is_ok());
        assert!(check_showable(&Frame::zeros(Dtype::U8, [2, 2]).unwrap()).is_ok());
    }

    #[test]
    fn title_has_size_and_rate() {
        assert_eq!(full_title("netgear", None, None), "netgear");
        assert_eq!(
            full_title("netgear", Some((640, 480)), None),
            "netgear — 640x480"
        );
        assert_eq!(
            full_title("netgear", Some((1920, 1080)), Some(59.84)),
            "netgear — 1920x1080 — 59.8 fps"
        );
    }

    /// Set in the child process that [`in_child`] starts, to what its `DISPLAY` is meant to be.
    const CHILD: &str = "NETGEAR_DISPLAY_TEST_CHILD";

    /// Runs the test `name` of this module again in a child process of this test binary, with
    /// `DISPLAY` set to `display` (or removed), and fails if it fails there. The parent's own
    /// `DISPLAY` (an X server running or not) changes nothing.
    fn in_child(name: &str, display: Option<&str>) {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let test = format!("{module}::{name}");
        let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
        cmd.args([test.as_str(), "--exact", "--test-threads=1"])
            .env(CHILD, display.unwrap_or(""));
        match display {
            Some(d) => cmd.env("DISPLAY", d),
            None => cmd.env_remove("DISPLAY"),
        };
        let out = cmd.output().expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{test} in a child with DISPLAY={display:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// In the child: opening fails with a media error (never a panic) whose message says
    /// `why`.
    fn assert_open_fails(display: &str, why: &str) {
        assert_eq!(
            std::env::var("DISPLAY").ok().as_deref(),
            (!display.is_empty()).then_some(display)
        );
        match Display::open("netgear test") {
            Err(Error::Media(e @ MediaError::Window(_))) => {
                let msg = e.to_string();
                assert!(msg.starts_with("cannot open a window: "), "{msg}");
                assert!(msg.contains(why), "{msg}");
            }
            other => panic!("expected a media error, got {other:?}"),
        }
    }

    #[test]
    fn open_without_display_set_is_an_error_not_a_panic() {
        match std::env::var(CHILD) {
            Ok(display) => assert_open_fails(&display, "DISPLAY is not set"),
            Err(_) => in_child("open_without_display_set_is_an_error_not_a_panic", None),
        }
    }

    #[test]
    fn open_with_no_x_server_at_display_is_an_error_not_a_panic() {
        // No X server listens at display 1999 (its socket would be /tmp/.X11-unix/X1999).
        const NOBODY: &str = ":1999";
        match std::env::var(CHILD) {
            Ok(display) => assert_open_fails(&display, "no X server at DISPLAY=:1999"),
            Err(_) => {
                let socket = std::path::Path::new("/tmp/.X11-unix/X1999");
                assert!(!socket.exists(), "an X server runs at {NOBODY}");
                in_child(
                    "open_with_no_x_server_at_display_is_an_error_not_a_panic",
                    Some(NOBODY),
                );
            }
        }
    }
}
