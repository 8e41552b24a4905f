//! Catalog: group instance records into studies (StudyInstanceUID) and series (SeriesInstanceUID).

use foldhash::HashMap;

use crate::read_header::InstanceRecord;

/// All studies found, in a stable order (by study date, then UID).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The studies.
    pub studies: Vec<Study>,
}

/// One study and its series.
#[derive(Debug, Clone)]
pub struct Study {
    /// Study Instance UID (empty when the files have none).
    pub uid: String,
    /// The series, ordered by series number, then UID.
    pub series: Vec<Series>,
}

/// One series: indexes of its instances into the record list.
#[derive(Debug, Clone)]
pub struct Series {
    /// Series Instance UID (empty when the files have none).
    pub uid: String,
    /// Indexes into the records given to [`Catalog::build`], ordered by instance number, then path.
    pub instances: Vec<usize>,
}

impl Catalog {
    /// Groups records into studies and series.
    pub fn build(records: &[InstanceRecord]) -> Self {
        let mut study_index: HashMap<&str, usize> = HashMap::default();
        let mut series_index: HashMap<(&str, &str), usize> = HashMap::default();
        let mut studies: Vec<Study> = Vec::new();
        // The previous record's study and series: the files of a series are listed together, so most records
        // are placed by comparing their UIDs with the last one's instead of hashing them.
        let mut previous: Option<(&InstanceRecord, usize, usize)> = None;
        for (index, record) in records.iter().enumerate() {
            if let Some((last, study, series)) = previous
                && last.series_instance_uid == record.series_instance_uid
                && last.study_instance_uid == record.study_instance_uid
            {
                studies[study].series[series].instances.push(index);
                continue;
            }
            let study = *study_index
                .entry(&*record.study_instance_uid)
                .or_insert_with(|| {
                    studies.push(Study {
                        uid: record.study_instance_uid.to_string(),
                        series: Vec::new(),
                    });
                    studies.len() - 1
                });
            let key = (&*record.study_instance_uid, &*record.series_instance_uid);
            let series_list = &mut studies[study].series;
            let series = *series_index.entry(key).or_insert_with(|| {
                series_list.push(Series {
                    uid: record.series_instance_uid.to_string(),
                    instances: Vec::new(),
                });
                series_list.len() - 1
            });
            series_list[series].instances.push(index);
            previous = Some((record, study, series));
        }
        for study in &mut studies {
            for series in &mut study.series {
                series.instances.sort_by(|&a, &b| {
                    let (a, b) = (&records[a], &records[b]);
                    (a.instance_number.is_none(), a.instance_number, &a.path).cmp(&(
                        b.instance_number.is_none(),
                        b.instance_number,
                        &b.path,
                    ))
                });
            }
            study.series.sort_by(|a, b| {
                let (na, nb) = (
                    records[a.instances[0]].series_number,
                    records[b.instances[0]].series_number,
                );
                (na.is_none(), na, &a.uid).cmp(&(nb.is_none(), nb, &b.uid))
            });
        }
        studies.sort_by(|a, b| {
            let (da, db) = (first_study_date(a, records), first_study_date(b, records));
            (da.is_none(), da, &a.uid).cmp(&(db.is_none(), db, &b.uid))
        });
        Catalog { studies }
    }
}

impl Study {
    /// Every instance of the study, series after series.
    pub fn instances(&self) -> impl Iterator<Item = usize> + '_ {
        self.series.iter().flat_map(|s| s.instances.iter().copied())
    }

    /// The first instance's record, which stands for the study's shared attributes.
    pub fn first<'r>(&self, records: &'r [InstanceRecord]) -> &'r InstanceRecord {
        &records[self.series[0].instances[0]]
    }
}

impl Series {
    /// The first instance's record, which stands for the series' shared attributes.
    pub fn first<'r>(&self, records: &'r [InstanceRecord]) -> &'r InstanceRecord {
        &records[self.instances[0]]
    }

    /// The records of this series, in catalog order.
    pub fn records<'r>(&self, records: &'r [InstanceRecord]) -> Vec<&'r InstanceRecord> {
        self.instances.iter().map(|&i| &records[i]).collect()
    }
}

fn first_study_date<'r>(study: &Study, records: &'r [InstanceRecord]) -> Option<&'r str> {
    study
        .instances()
        .find_map(|i| records[i].study_date.as_deref().filter(|d| !d.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        study: &str,
        series: &str,
        number: Option<i64>,
        instance: Option<i64>,
        date: &str,
    ) -> InstanceRecord {
        InstanceRecord {
            path: format!("{study}/{series}/{instance:?}").into(),
            study_instance_uid: study.into(),
            series_instance_uid: series.into(),
            series_number: number,
            instance_number: instance,
            study_date: Some(date.into()),
            ..Default::default()
        }
    }

    #[test]
    fn groups_and_orders_studies_series_and_instances() {
        let records = vec![
            record("1.2", "1.2.2", Some(2), Some(2), "20240320"),
            record("1.1", "1.1.1", Some(1), Some(1), "20230101"),
            record("1.2", "1.2.2", Some(2), Some(1), "20240320"),
            record("1.2", "1.2.1", Some(1), None, "20240320"),
            record("1.2", "1.2.1", Some(1), Some(7), "20240320"),
        ];
        let catalog = Catalog::build(&records);
        let uids: Vec<_> = catalog.studies.iter().map(|s| s.uid.as_str()).collect();
        assert_eq!(uids, ["1.1", "1.2"]);
        let second = &catalog.studies[1];
        let series: Vec<_> = second.series.iter().map(|s| s.uid.as_str()).collect();
        assert_eq!(series, ["1.2.1", "1.2.2"]);
        assert_eq!(second.series[0].instances, [4, 3]);
        assert_eq!(second.series[1].instances, [2, 0]);
        assert_eq!(second.instances().count(), 4);
    }

    #[test]
    fn neighbours_share_a_series_only_when_study_and_series_both_match() {
        // The same Series Instance UID under two studies (a copied or badly anonymised series) stays two series;
        // a series whose files are listed apart stays one.
        let records = vec![
            record("1.1", "9.9", Some(1), Some(1), "20230101"),
            record("1.2", "9.9", Some(1), Some(1), "20240101"),
            record("1.1", "9.9", Some(1), Some(2), "20230101"),
            record("1.1", "9.8", Some(2), Some(1), "20230101"),
            record("1.1", "9.9", Some(1), Some(3), "20230101"),
        ];
        let catalog = Catalog::build(&records);
        let shape: Vec<String> = catalog
            .studies
            .iter()
            .flat_map(|study| {
                let series = study.series.iter();
                series.map(|s| format!("{} {} {:?}", study.uid, s.uid, s.instances))
            })
            .collect();
        assert_eq!(shape, ["1.1 9.9 [0, 2, 4]", "1.1 9.8 [3]", "1.2 9.9 [1]"]);
    }
}
