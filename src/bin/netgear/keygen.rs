//! `netgear keygen DIR`: secure mode's key files.

use std::path::PathBuf;

use clap::Args;
use netgear::secure::KeyFiles;

#[derive(Args)]
pub(crate) struct KeygenArgs {
    /// The keys directory: DIR/public_keys/{server,client}.key and
    /// DIR/private_keys/{server,client}.key_secret are written.
    dir: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), netgear::Error> {
    for path in KeyFiles::new(&args.dir).generate(args.force)? {
        println!("{}", path.display());
    }
    Ok(())
}
