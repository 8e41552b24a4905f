//! The `patient` check: do all studies on the disc belong to one person?
//!
//! Every distinct identity (name, Patient ID, birth date) of the images and of the DICOMDIR's PATIENT records
//! is one node. Two nodes are linked when they share something (a name key, the ID or the birth date) and
//! disagree on nothing: names as [`NameForm::same_person`] judges them, birth dates as dates (an empty,
//! `00000000` or unparseable date is unknown). Linked nodes form a person, unless the person would then hold
//! two IDs, two birth dates or two names of different people: then only nodes that carry the disputed value
//! stay together, and a node that lacks it and fits several of the resulting persons is reported as
//! unattributable (docs/names-policy.md, "Who is on the disc"). Each name is parsed once and only names that
//! share a blocking key are compared, so the grouping stays near-linear in the number of identities.

use std::collections::HashMap;
use std::sync::Arc;

use super::date::StudyDate;
use super::{CheckId, Finding, Severity, wording};
use crate::catalog::Catalog;
use crate::charset::{DecodedText, printable};
use crate::dicomdir::DirPatient;
use crate::names::{NameForm, display_name};
use crate::read_header::InstanceRecord;

/// Most members of one blocking key compared with every other member: beyond it a key is shared by many
/// different people (a teaching disc), and the rest are compared with the first ones only. A pair missed this
/// way stays two persons (a fail, never a wrong pass).
const BLOCK_CAP: usize = 8;
/// Most persons a message lists by name (a teaching disc may hold thousands).
const MAX_LISTED: usize = 20;
/// Most distinct names of one person checked pairwise for a conflict; more are treated as a conflict.
const NAME_CAP: usize = 32;

/// One person found on the disc.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The distinct spellings of the name, most frequent first.
    pub names: Vec<DecodedText>,
    /// Patient ID, the most frequent one.
    pub id: Option<String>,
    /// Birth date as written, the most frequent one.
    pub birth_date: Option<String>,
    /// Every known birth date of the person's records (one, unless the records are unattributable).
    pub birth_dates: Vec<StudyDate>,
    /// Study Instance UIDs of this person's studies, in catalog order.
    pub studies: Vec<String>,
    /// Instances of this person.
    pub instances: usize,
    /// Instances of this person with no (or an empty) PatientName.
    pub unnamed_instances: usize,
    /// The DICOMDIR names this person in a PATIENT record.
    pub in_dicomdir: bool,
    /// These records lack the value (ID, birth date or full name) that tells two other persons apart, and fit
    /// both: the disc cannot say whose they are.
    pub unattributable: bool,
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

/// The identity one instance or one DICOMDIR PATIENT record gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    /// Index into the distinct names.
    name: Option<usize>,
    id: Option<String>,
    birth_date: Option<StudyDate>,
    /// The birth date as written (kept for display when it is unknown as a date).
    birth_date_raw: Option<String>,
}

/// A node of the grouping: one identity and what carries it.
#[derive(Debug, Default)]
struct Node {
    instances: Vec<usize>,
    in_dicomdir: bool,
}

/// The distinct names, each parsed once.
struct Names {
    texts: Vec<DecodedText>,
    forms: Vec<NameForm>,
    /// Index of each distinct exact key (names with equal keys are one name for the grouping).
    key_of: Vec<usize>,
    same: foldhash::HashMap<(usize, usize), bool>,
}

impl Names {
    fn same_person(&mut self, a: usize, b: usize) -> bool {
        let (ka, kb) = (self.key_of[a], self.key_of[b]);
        if ka == kb {
            return self.forms[a].usable();
        }
        let pair = (ka.min(kb), ka.max(kb));
        if let Some(&known) = self.same.get(&pair) {
            return known;
        }
        let same = self.forms[a].same_person(&self.forms[b]);
        self.same.insert(pair, same);
        same
    }
}

/// Groups the catalog's instances (and the DICOMDIR's PATIENT records) into persons, in order of their first
/// study; persons only the DICOMDIR names come last.
pub fn persons(
    records: &[InstanceRecord],
    catalog: &Catalog,
    directory: &[DirPatient],
) -> Vec<Person> {
    let mut names = Names {
        texts: Vec::new(),
        forms: Vec::new(),
        key_of: Vec::new(),
        same: foldhash::HashMap::default(),
    };
    let mut name_index: foldhash::HashMap<DecodedText, usize> = foldhash::HashMap::default();
    let mut key_index: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
    let mut intern = |name: Option<&DecodedText>, names: &mut Names| -> Option<usize> {
        let name = name.filter(|n| !n.text.trim_matches(['^', '=', ' ']).is_empty())?;
        Some(*name_index.entry(name.clone()).or_insert_with(|| {
            let form = NameForm::new(name);
            let next = key_index.len();
            names
                .key_of
                .push(*key_index.entry(form.key().to_string()).or_insert(next));
            names.texts.push(name.clone());
            names.forms.push(form);
            names.texts.len() - 1
        }))
    };

    let mut nodes: Vec<(Identity, Node)> = Vec::new();
    let mut lookup: foldhash::HashMap<Identity, usize> = foldhash::HashMap::default();
    let mut add = |identity: Identity, nodes: &mut Vec<(Identity, Node)>| -> usize {
        *lookup.entry(identity.clone()).or_insert_with(|| {
            nodes.push((identity, Node::default()));
            nodes.len() - 1
        })
    };
    // The scan shares one allocation per distinct value, so a record whose name, ID and birth date lie where the
    // previous record's do is that record's node, found without building and hashing its identity again.
    let mut previous: Option<(IdentityAddress, usize)> = None;
    for study in &catalog.studies {
        for index in study.instances() {
            let record = &records[index];
            let address = identity_address(record);
            let node = match previous {
                Some((last, node)) if last == address => node,
                _ => {
                    let identity = identity(
                        intern(record.patient_name.as_deref(), &mut names),
                        record.patient_id.as_ref().map(|t| t.text.as_str()),
                        record.patient_birth_date.as_deref(),
                    );
                    add(identity, &mut nodes)
                }
            };
            previous = Some((address, node));
            nodes[node].1.instances.push(index);
        }
    }
    for patient in directory {
        let identity = identity(
            intern(patient.name.as_deref(), &mut names),
            patient.id.as_ref().map(|t| t.text.as_str()),
            patient.birth_date.as_deref(),
        );
        let node = add(identity, &mut nodes);
        nodes[node].1.in_dicomdir = true;
    }

    let edges = links(&nodes, &mut names);
    let clusters = cluster(&nodes, &edges, &mut names);
    build(records, &nodes, &names, clusters)
}

/// Where a record's name, Patient ID and birth date are stored (equal addresses hold equal values).
type IdentityAddress = (
    Option<*const DecodedText>,
    Option<*const DecodedText>,
    Option<*const str>,
);

fn identity_address(record: &InstanceRecord) -> IdentityAddress {
    (
        record.patient_name.as_ref().map(Arc::as_ptr),
        record.patient_id.as_ref().map(Arc::as_ptr),
        record.patient_birth_date.as_ref().map(Arc::as_ptr),
    )
}

fn identity(name: Option<usize>, id: Option<&str>, birth_date: Option<&str>) -> Identity {
    let raw = birth_date
        .map(|d| d.trim_matches([' ', '\0']))
        .filter(|d| !d.is_empty());
    Identity {
        name,
        id: id
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        birth_date: raw.and_then(|d| StudyDate::parse(d).ok()),
        birth_date_raw: raw.map(str::to_string),
    }
}

/// Whether two identities disagree on nothing they both know.
fn compatible(a: &Identity, b: &Identity, names: &mut Names) -> bool {
    let agree = |x: &Option<String>, y: &Option<String>| x.is_none() || y.is_none() || x == y;
    let dates = a.birth_date.is_none() || b.birth_date.is_none() || a.birth_date == b.birth_date;
    let usable = |n: Option<usize>, names: &Names| n.filter(|&n| names.forms[n].usable());
    let named = match (usable(a.name, names), usable(b.name, names)) {
        (Some(x), Some(y)) => names.same_person(x, y),
        _ => true,
    };
    agree(&a.id, &b.id) && dates && named
}

/// The pairs of nodes that share a key and are compatible.
fn links(nodes: &[(Identity, Node)], names: &mut Names) -> Vec<(usize, usize)> {
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    let mut wildcards = Vec::new();
    let mut name_keys: HashMap<usize, Vec<String>> = HashMap::new();
    for (i, (identity, _)) in nodes.iter().enumerate() {
        let mut keys: Vec<String> = Vec::new();
        if let Some(n) = identity.name {
            let k = names.key_of[n];
            keys.extend(
                name_keys
                    .entry(k)
                    .or_insert_with(|| names.forms[n].blocking_keys())
                    .iter()
                    .cloned(),
            );
        }
        if let Some(id) = &identity.id {
            keys.push(format!("I:{id}"));
        }
        if let Some(d) = identity.birth_date {
            keys.push(format!("D:{d}"));
        }
        if keys.is_empty() {
            wildcards.push(i);
        }
        for key in keys {
            blocks.entry(key).or_default().push(i);
        }
    }
    let mut edges = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut try_pair = |a: usize, b: usize, names: &mut Names| {
        let pair = (a.min(b), a.max(b));
        if a != b && seen.insert(pair) && compatible(&nodes[a].0, &nodes[b].0, names) {
            edges.push(pair);
        }
    };
    for members in blocks.values() {
        for (n, &a) in members.iter().enumerate() {
            for &b in members.iter().take(n.min(BLOCK_CAP)) {
                try_pair(a, b, names);
            }
        }
    }
    // A record with no usable name, no ID and no birth date fits anyone.
    for &w in &wildcards {
        for other in 0..nodes.len() {
            try_pair(w, other, names);
        }
    }
    edges
}

/// Union-find over `edges` restricted to `members` (indexes into nodes); returns the root of each node.
fn union(count: usize, edges: impl Iterator<Item = (usize, usize)>) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..count).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (a, b) in edges {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    (0..count).map(|i| root(&mut parent, i)).collect()
}

/// What a group of linked nodes disputes.
#[derive(Debug, Default, Clone, Copy)]
struct Dispute {
    id: bool,
    birth_date: bool,
    name: bool,
}

impl Dispute {
    fn any(self) -> bool {
        self.id || self.birth_date || self.name
    }
}

fn dispute(members: &[usize], nodes: &[(Identity, Node)], names: &mut Names) -> Dispute {
    let mut ids: Vec<&String> = members
        .iter()
        .filter_map(|&m| nodes[m].0.id.as_ref())
        .collect();
    ids.sort();
    ids.dedup();
    let mut dates: Vec<StudyDate> = members
        .iter()
        .filter_map(|&m| nodes[m].0.birth_date)
        .collect();
    dates.sort();
    dates.dedup();
    let mut named: Vec<usize> = members
        .iter()
        .filter_map(|&m| nodes[m].0.name)
        .filter(|&n| names.forms[n].usable())
        .collect();
    named.sort_by_key(|&n| names.key_of[n]);
    named.dedup_by_key(|n| names.key_of[*n]);
    let name = named.len() > NAME_CAP
        || named
            .iter()
            .enumerate()
            .any(|(i, &a)| named.iter().take(i).any(|&b| !names.same_person(a, b)));
    Dispute {
        id: ids.len() > 1,
        birth_date: dates.len() > 1,
        name,
    }
}

/// The persons: each a list of node indexes, and whether it is unattributable.
fn cluster(
    nodes: &[(Identity, Node)],
    edges: &[(usize, usize)],
    names: &mut Names,
) -> Vec<(Vec<usize>, bool)> {
    let roots = union(nodes.len(), edges.iter().copied());
    let mut components: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &r) in roots.iter().enumerate() {
        components.entry(r).or_default().push(i);
    }
    let mut out = Vec::new();
    let mut ordered: Vec<Vec<usize>> = components.into_values().collect();
    ordered.sort_by_key(|m| m.first().copied());
    for members in ordered {
        let disputed = dispute(&members, nodes, names);
        if !disputed.any() {
            out.push((members, false));
            continue;
        }
        // Only nodes that carry every disputed value stay linked (and, when names are disputed, only the same
        // name written the same way).
        let keeps = |a: usize, b: usize, names: &Names| {
            let (x, y) = (&nodes[a].0, &nodes[b].0);
            let carries = |i: &Identity| {
                (!disputed.id || i.id.is_some())
                    && (!disputed.birth_date || i.birth_date.is_some())
                    && (!disputed.name || i.name.is_some_and(|n| names.forms[n].usable()))
            };
            let same_name = match (x.name, y.name) {
                (Some(p), Some(q)) => names.key_of[p] == names.key_of[q],
                _ => false,
            };
            carries(x) && carries(y) && (!disputed.name || same_name)
        };
        let inside: std::collections::HashSet<usize> = members.iter().copied().collect();
        let local: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|(a, b)| inside.contains(a) && inside.contains(b))
            .collect();
        let strict = union(
            nodes.len(),
            local.iter().copied().filter(|&(a, b)| keeps(a, b, names)),
        );
        let mut parts: HashMap<usize, Vec<usize>> = HashMap::new();
        for &m in &members {
            parts.entry(strict[m]).or_default().push(m);
        }
        // A part linked (loosely) to two or more other parts could be either person.
        let mut neighbours: HashMap<usize, std::collections::HashSet<usize>> = HashMap::new();
        for &(a, b) in &local {
            let (pa, pb) = (strict[a], strict[b]);
            if pa != pb {
                neighbours.entry(pa).or_default().insert(pb);
                neighbours.entry(pb).or_default().insert(pa);
            }
        }
        let mut split: Vec<(usize, Vec<usize>)> = parts.into_iter().collect();
        split.sort_by_key(|(_, m)| m.first().copied());
        for (root, part) in split {
            let unattributable = neighbours.get(&root).is_some_and(|n| n.len() >= 2);
            out.push((part, unattributable));
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    names: HashMap<usize, usize>,
    ids: HashMap<String, usize>,
    dobs: HashMap<String, usize>,
}

fn build(
    records: &[InstanceRecord],
    nodes: &[(Identity, Node)],
    names: &Names,
    clusters: Vec<(Vec<usize>, bool)>,
) -> Vec<Person> {
    let mut persons: Vec<(Option<usize>, Person)> = Vec::new();
    for (members, unattributable) in clusters {
        let mut person = Person {
            unattributable,
            ..Person::default()
        };
        let mut tally = Tally::default();
        let mut first: Option<usize> = None;
        for &m in &members {
            let (identity, node) = &nodes[m];
            let weight = node.instances.len().max(1);
            person.instances += node.instances.len();
            person.in_dicomdir |= node.in_dicomdir;
            match identity.name {
                Some(n) => *tally.names.entry(n).or_default() += weight,
                None => person.unnamed_instances += node.instances.len(),
            }
            if let Some(id) = &identity.id {
                *tally.ids.entry(id.clone()).or_default() += weight;
            }
            if let Some(raw) = &identity.birth_date_raw {
                *tally.dobs.entry(raw.clone()).or_default() += weight;
            }
            if let Some(d) = identity.birth_date
                && !person.birth_dates.contains(&d)
            {
                person.birth_dates.push(d);
            }
            if !node.instances.is_empty() {
                first = Some(first.map_or(m, |f| f.min(m)));
            }
            for &index in &node.instances {
                let uid = &*records[index].study_instance_uid;
                if !person.studies.iter().any(|s| s == uid) {
                    person.studies.push(uid.to_string());
                }
            }
        }
        let mut spelled: Vec<(usize, usize)> = tally.names.into_iter().collect();
        spelled.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| names.texts[a.0].text.cmp(&names.texts[b.0].text))
        });
        person.names = spelled
            .into_iter()
            .map(|(n, _)| names.texts[n].clone())
            .collect();
        person.id = most_frequent(tally.ids);
        person.birth_date = most_frequent(tally.dobs);
        person.birth_dates.sort();
        persons.push((first, person));
    }
    // Nodes were made in catalog order, so the first instance's node orders the persons; DICOMDIR-only last.
    persons.sort_by_key(|(first, _)| first.unwrap_or(usize::MAX));
    persons.into_iter().map(|(_, p)| p).collect()
}

/// Runs the check. `labels` names each study for people; `yours` marks the persons whose name matches the
/// passport (all `false` without `--name`).
pub fn check(persons: &[Person], labels: &HashMap<String, String>, yours: &[bool]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let describe = |p: &Person| {
        if p.studies.is_empty() && p.in_dicomdir {
            return wording::person_in_dicomdir_only(&p.display(), p.id.as_deref());
        }
        let studies: Vec<&str> = p
            .studies
            .iter()
            .map(|uid| labels.get(uid).map(String::as_str).unwrap_or(uid))
            .collect();
        wording::person_studies(&p.display(), p.id.as_deref(), &studies)
    };
    if persons.len() > 1 {
        let mut described: Vec<String> = persons.iter().take(MAX_LISTED).map(describe).collect();
        if persons.len() > MAX_LISTED {
            described.push(wording::and_more_people(persons.len() - MAX_LISTED));
        }
        let others: Option<Vec<String>> = yours.iter().any(|&y| y).then(|| {
            persons
                .iter()
                .zip(yours)
                .filter(|(_, mine)| !**mine)
                .take(MAX_LISTED)
                .map(|(p, _)| p.display())
                .collect()
        });
        findings.push(
            wording::several_people(persons.len(), &described, others.as_deref())
                .finding(CheckId::Patient, Severity::Fail),
        );
    }
    for person in persons.iter().filter(|p| p.unattributable) {
        let mut finding = wording::unattributable(&describe(person), person.instances)
            .finding(CheckId::Patient, Severity::Fail);
        if let Some(study) = person.studies.first() {
            finding = finding.study(study.clone());
        }
        findings.push(finding);
    }
    for person in persons {
        let mut spellings: Vec<&DecodedText> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for name in &person.names {
            let form = NameForm::new(name);
            if !keys.iter().any(|k| k == form.key()) {
                keys.push(form.key().to_string());
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

fn most_frequent(tally: HashMap<String, usize>) -> Option<String> {
    tally
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(v, _)| v)
}

/// `--passport`: whether the disc records the passport number (Patient ID or Other Patient IDs), and whether it
/// records another number as a passport (a Patient ID whose Issuer of Patient ID names a passport). Numbers
/// compare upper-case, letters and digits only.
pub fn passport(records: &[InstanceRecord], number: &str) -> Vec<Finding> {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let wanted = key(number);
    let mut found: Vec<&'static str> = Vec::new();
    let mut others: Vec<(String, String)> = Vec::new();
    for record in records {
        let id = record.patient_id.as_ref().map(|t| t.text.trim());
        let extra = record.other_ids.as_deref();
        if id.is_some_and(|id| key(id) == wanted) && !found.contains(&wording::PATIENT_ID) {
            found.push(wording::PATIENT_ID);
        }
        if extra.is_some_and(|e| e.ids.iter().any(|i| key(i) == wanted))
            && !found.contains(&wording::OTHER_PATIENT_IDS)
        {
            found.push(wording::OTHER_PATIENT_IDS);
        }
        let issuer = extra.and_then(|e| e.issuer.as_deref()).unwrap_or_default();
        let says_passport = {
            let upper = issuer.to_uppercase();
            upper.contains("PASSPORT")
                || upper.split_whitespace().any(|w| w == "PPN")
                || issuer.contains("护照")
        };
        if let Some(id) = id.filter(|id| says_passport && key(id) != wanted && !id.is_empty()) {
            let pair = (id.to_string(), issuer.to_string());
            if !others.contains(&pair) && others.len() < MAX_LISTED {
                others.push(pair);
            }
        }
    }
    let mut findings: Vec<Finding> = others
        .iter()
        .map(|(id, issuer)| {
            wording::other_passport(&printable(id), &printable(issuer), number)
                .finding(CheckId::Patient, Severity::Fail)
        })
        .collect();
    findings.push(if found.is_empty() {
        wording::passport_absent(number).finding(CheckId::Patient, Severity::Info)
    } else {
        wording::passport_found(number, &found).finding(CheckId::Patient, Severity::Info)
    });
    findings
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::read_header::OtherIds;

    fn record(id: &str, issuer: Option<&str>, others: &[&str]) -> InstanceRecord {
        InstanceRecord {
            patient_id: Some(Arc::new(DecodedText::plain(id))),
            other_ids: Some(Box::new(OtherIds {
                issuer: issuer.map(str::to_string),
                ids: others.iter().map(|s| s.to_string()).collect(),
            })),
            ..InstanceRecord::default()
        }
    }

    fn outcome(records: &[InstanceRecord], number: &str) -> Vec<(Severity, String)> {
        passport(records, number)
            .into_iter()
            .map(|f| (f.severity, f.message))
            .collect()
    }

    #[test]
    fn passport_number_found_absent_or_another() {
        let found = outcome(&[record("H-1", None, &["e 1234-567"])], "E1234567");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Info);
        assert!(found[0].1.contains("Other Patient IDs"), "{found:?}");

        let as_id = outcome(&[record("E1234567", Some("PASSPORT CN"), &[])], "E1234567");
        assert_eq!(as_id.len(), 1);
        assert!(as_id[0].1.contains("Patient ID"), "{as_id:?}");

        let absent = outcome(&[record("H-1", Some("HOSPITAL"), &[])], "E1234567");
        assert_eq!(absent.len(), 1);
        assert!(absent[0].1.contains("does not appear"), "{absent:?}");

        let other = outcome(&[record("G7654321", Some("Passport"), &[])], "E1234567");
        assert_eq!(other.len(), 2, "{other:?}");
        assert_eq!(other[0].0, Severity::Fail);
        assert!(other[0].1.contains("G7654321"), "{other:?}");
    }
}
