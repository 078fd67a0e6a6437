//! `bench --pin`: the receive peer on one CPU, the send peer on another, so that the scheduler's
//! placement of a case's threads does not change its numbers from run to run.

use std::process::Command;

/// The first two CPUs this process may run on.
pub(super) fn two_cpus() -> Option<(usize, usize)> {
    // SAFETY: `set` is a plain bit set that `sched_getaffinity` fills in; its size is passed.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        set
    };
    // SAFETY: `CPU_ISSET` only reads the bit set, for CPU numbers below its capacity.
    let mut cpus = (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) });
    Some((cpus.next()?, cpus.next()?))
}

/// Makes `cmd`'s process run on `cpu` only.
pub(super) fn pin_to(cmd: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec, and only makes system calls
    // (no allocation, no lock): building a bit set on the stack and `sched_setaffinity`.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
