//! Catalog: group instance records into studies (StudyInstanceUID) and series (SeriesInstanceUID).

use crate::read_header::InstanceRecord;

/// All studies found, in a stable order (by date, then UID).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The studies.
    pub studies: Vec<Study>,
}

/// One study: its series and the records' shared attributes.
#[derive(Debug, Clone)]
pub struct Study {
    /// Study Instance UID.
    pub uid: String,
    /// The series, ordered by series number, then UID.
    pub series: Vec<Series>,
}

/// One series: indexes of its instances into the record list.
#[derive(Debug, Clone)]
pub struct Series {
    /// Series Instance UID.
    pub uid: String,
    /// Indexes into the records slice given to [`Catalog::build`], ordered by instance number, then path.
    pub instances: Vec<usize>,
}

impl Catalog {
    /// Groups records into studies and series.
    pub fn build(records: &[InstanceRecord]) -> Self {
        let _ = records;
        unimplemented!()
    }
}
