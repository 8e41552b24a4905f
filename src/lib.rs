//! dicomcheck: is this disc readable, complete and under the passport name?

pub mod catalog;
pub mod charset;
pub mod checks;
pub mod dicomdir;
pub mod fixture;
pub mod names;
pub mod read_header;
