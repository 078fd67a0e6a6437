//! `recv --display`: the window frames are shown in, or, in a build without the `display`
//! feature, a flag refused up front (rather than a stream received and never shown).

use netgear::{Error, Frame};

use crate::error::CliError;

#[cfg(feature = "display")]
pub(crate) type Window = netgear::media::Display;
#[cfg(not(feature = "display"))]
pub(crate) type Window = ();

#[cfg(feature = "display")]
pub(crate) fn open_display() -> Result<Window, CliError> {
    Ok(netgear::media::Display::open("netgear")?)
}

#[cfg(not(feature = "display"))]
pub(crate) fn open_display() -> Result<Window, CliError> {
    Err(crate::error::FlagError::value(
        "--display",
        "this netgear was built without the `display` feature",
    )
    .into())
}

/// Shows a frame; a closed window ends nothing but the display.
#[cfg(feature = "display")]
pub(crate) fn show(window: &Window, frame: &Frame) -> Result<(), Error> {
    match window.show(frame) {
        Ok(()) | Err(Error::Closed) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(feature = "display"))]
pub(crate) fn show(_: &Window, _: &Frame) -> Result<(), Error> {
    Ok(())
}
