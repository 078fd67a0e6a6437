//! The command's errors: [`CliError`], why a command failed, and [`FlagError`], a flag the
//! command cannot use. Flags are the command's own business (the library only sees the options
//! they become), so their problems are told apart from the library's [`netgear::Error`]; they
//! read as the library's invalid options do ("invalid option: ..."), which scripts may match.

use crate::plot::PlotError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A flag, or a combination of flags, the command cannot use.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The library's error: bad options, a peer that went away, a bad message, media.
    #[error(transparent)]
    Netgear(#[from] netgear::Error),
    /// `netgear bench`: cases failed (each is named in the table, with its error).
    #[error("{failed} of {cases} benchmark cases failed (see the table)")]
    BenchFailed {
        /// The cases that failed in any round.
        failed: usize,
        /// The cases of the run.
        cases: usize,
    },
    /// `netgear soak` found frames lost, reordered, errors or memory growth.
    #[error("the soak failed in pattern(s) {0:?} (see the report above)")]
    SoakFailed(Vec<u8>),
    /// `netgear soak --chaos` could not set up or run (no root, a link that cannot be made,
    /// a peer that would not start).
    #[error("the chaos soak could not run: {0}")]
    Chaos(String),
    /// `netgear plot` could not read its results or write its chart.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// A flag the command cannot use, named as the user wrote it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FlagError {
    /// A flag's value is out of range or does not parse (`--sizes: "64" is not WxH`). `flag`
    /// carries the value too where the message shows it (`--reply text`).
    #[error("invalid option: {flag}: {problem}")]
    Value {
        /// The flag, as the message names it.
        flag: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Flags given without the one they only work with (`--data and --data-json need
    /// --bidirectional`).
    #[error("invalid option: {flags} need {needs}")]
    Needs {
        /// The flags given.
        flags: &'static str,
        /// The flag they need.
        needs: &'static str,
    },
    /// Something that cannot run without a flag (`a secure peer needs --keys DIR`).
    #[error("invalid option: {what} needs {flag}")]
    Missing {
        /// What needs the flag.
        what: &'static str,
        /// The flag missing, with how to get its value.
        flag: &'static str,
    },
}

impl FlagError {
    /// A bad value of `flag`.
    pub(crate) fn value(flag: impl Into<String>, problem: impl Into<String>) -> FlagError {
        FlagError::Value {
            flag: flag.into(),
            problem: problem.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages read as the library's invalid options did before the command had its own
    /// error: scripts and tests match them.
    #[test]
    fn flag_errors_read_as_invalid_options() {
        let shown = |e: FlagError| netgear::error_chain(&CliError::from(e));
        assert_eq!(
            shown(FlagError::value("--repeat", "must be at least 1")),
            netgear::error_chain(&netgear::Error::InvalidOption(
                "--repeat: must be at least 1".into()
            ))
        );
        assert_eq!(
            shown(FlagError::Needs {
                flags: "--data and --data-json",
                needs: "--bidirectional"
            }),
            "invalid option: --data and --data-json need --bidirectional"
        );
        assert_eq!(
            shown(FlagError::Missing {
                what: "a secure peer",
                flag: "--keys DIR (netgear keygen DIR)"
            }),
            "invalid option: a secure peer needs --keys DIR (netgear keygen DIR)"
        );
    }
}
