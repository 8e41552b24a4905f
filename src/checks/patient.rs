//! The `patient` check: do all studies on the disc belong to one person?
//!
//! Instances are grouped into persons by name (as [`crate::names::same_person`] judges it), Patient ID and
//! birth date: two identities are one person when none of the three disagree.

use std::collections::HashMap;

use super::{CheckId, Finding, Severity, wording};
use crate::catalog::Catalog;
use crate::charset::DecodedText;
use crate::names::{display_name, person_key, same_person};
use crate::read_header::InstanceRecord;

/// One person found on the disc.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The distinct spellings of the name, most frequent first.
    pub names: Vec<DecodedText>,
    /// Patient ID, the most frequent one.
    pub id: Option<String>,
    /// Birth date as written, the most frequent one.
    pub birth_date: Option<String>,
    /// Study Instance UIDs of this person's studies, in catalog order.
    pub studies: Vec<String>,
    /// Instances of this person.
    pub instances: usize,
    /// Instances of this person with no (or an empty) PatientName.
    pub unnamed_instances: usize,
}

impl Person {
    /// The name as the report shows it (decoded, with a pinyin reading for Chinese).
    pub fn display(&self) -> String {
        self.names
            .first()
            .map(display_name)
            .unwrap_or_else(|| wording::NO_NAME.to_string())
    }
}

/// The identity one instance gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    name: Option<String>,
    id: Option<String>,
    birth_date: Option<String>,
}

/// Groups the catalog's instances into persons, in order of their first study.
pub fn persons(records: &[InstanceRecord], catalog: &Catalog) -> Vec<Person> {
    let mut identities: Vec<(Identity, Option<&DecodedText>, Vec<usize>)> = Vec::new();
    let mut lookup: HashMap<Identity, usize> = HashMap::new();
    for study in &catalog.studies {
        for index in study.instances() {
            let record = &records[index];
            let name = record
                .patient_name
                .as_deref()
                .filter(|n| !n.text.trim_matches(['^', '=', ' ']).is_empty());
            let identity = Identity {
                name: name.map(|n| n.text.clone()),
                id: non_empty(record.patient_id.as_ref().map(|t| t.text.as_str())),
                birth_date: non_empty(record.patient_birth_date.as_deref()),
            };
            let slot = *lookup.entry(identity.clone()).or_insert_with(|| {
                identities.push((identity, name, Vec::new()));
                identities.len() - 1
            });
            identities[slot].2.push(index);
        }
    }

    let mut parent: Vec<usize> = (0..identities.len()).collect();
    for i in 0..identities.len() {
        for j in 0..i {
            if compatible(&identities[i], &identities[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }

    let mut persons: Vec<Person> = Vec::new();
    let mut person_of_root: HashMap<usize, usize> = HashMap::new();
    let mut tallies: Vec<Tally> = Vec::new();
    for (i, (identity, name, instances)) in identities.iter().enumerate() {
        let r = root(&mut parent, i);
        let p = *person_of_root.entry(r).or_insert_with(|| {
            persons.push(Person::default());
            tallies.push(Tally::default());
            persons.len() - 1
        });
        let (person, tally) = (&mut persons[p], &mut tallies[p]);
        person.instances += instances.len();
        match name {
            Some(name) => *tally.names.entry((*name).clone()).or_default() += instances.len(),
            None => person.unnamed_instances += instances.len(),
        }
        if let Some(id) = &identity.id {
            *tally.ids.entry(id.clone()).or_default() += instances.len();
        }
        if let Some(dob) = &identity.birth_date {
            *tally.dobs.entry(dob.clone()).or_default() += instances.len();
        }
        for &index in instances {
            let uid = &*records[index].study_instance_uid;
            if !person.studies.iter().any(|s| s == uid) {
                person.studies.push(uid.to_string());
            }
        }
    }
    for (person, tally) in persons.iter_mut().zip(tallies) {
        let mut names: Vec<(DecodedText, usize)> = tally.names.into_iter().collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.text.cmp(&b.0.text)));
        person.names = names.into_iter().map(|(n, _)| n).collect();
        person.id = most_frequent(tally.ids);
        person.birth_date = most_frequent(tally.dobs);
    }
    persons
}

#[derive(Default)]
struct Tally {
    names: HashMap<DecodedText, usize>,
    ids: HashMap<String, usize>,
    dobs: HashMap<String, usize>,
}

/// Runs the check. `labels` names each study for people; `yours` marks the persons whose name matches the
/// passport (all `false` without `--name`).
pub fn check(persons: &[Person], labels: &HashMap<String, String>, yours: &[bool]) -> Vec<Finding> {
    let mut findings = Vec::new();
    if persons.len() > 1 {
        let describe = |p: &Person| {
            let studies: Vec<&str> = p
                .studies
                .iter()
                .map(|uid| labels.get(uid).map(String::as_str).unwrap_or(uid))
                .collect();
            wording::person_studies(&p.display(), p.id.as_deref(), &studies)
        };
        let described: Vec<String> = persons.iter().map(describe).collect();
        let others: Option<Vec<String>> = yours.iter().any(|&y| y).then(|| {
            persons
                .iter()
                .zip(yours)
                .filter(|(_, mine)| !**mine)
                .map(|(p, _)| p.display())
                .collect()
        });
        findings.push(
            wording::several_people(&described, others.as_deref())
                .finding(CheckId::Patient, Severity::Fail),
        );
    }
    for person in persons {
        let mut spellings: Vec<&DecodedText> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for name in &person.names {
            let key = person_key(name);
            if !keys.contains(&key) {
                keys.push(key);
                spellings.push(name);
            }
        }
        if spellings.len() > 1 {
            let shown: Vec<String> = spellings.iter().map(|n| display_name(n)).collect();
            findings
                .push(wording::name_spellings(&shown).finding(CheckId::Patient, Severity::Warn));
        }
    }
    findings
}

fn compatible(
    a: &(Identity, Option<&DecodedText>, Vec<usize>),
    b: &(Identity, Option<&DecodedText>, Vec<usize>),
) -> bool {
    let agree = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let names_agree = match (a.1, b.1) {
        (Some(x), Some(y)) => x.text == y.text || same_person(x, y),
        _ => true,
    };
    names_agree && agree(&a.0.id, &b.0.id) && agree(&a.0.birth_date, &b.0.birth_date)
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn most_frequent(tally: HashMap<String, usize>) -> Option<String> {
    tally
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(v, _)| v)
}
