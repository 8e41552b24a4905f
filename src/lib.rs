//! dicomcheck: is this disc readable, complete and under the passport name?
//!
//! The pipeline, one module per stage: [`walk`] the media → [`read_header`] of each file (hardened, header-only,
//! in parallel) → [`catalog`] into studies and series → [`checks`] → [`report`].

pub mod catalog;
pub mod charset;
pub mod checks;
pub mod fixture;
pub mod read_header;
