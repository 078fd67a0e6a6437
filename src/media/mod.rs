//! Media: frame sources for a send-mode end. For now the built-in [`TestPattern`].

mod testsrc;

pub use testsrc::TestPattern;
