//! One seed of the simulation: builds the organisation and its devices, plays a random schedule
//! of edits, syncs, offline spells, access changes and faults, notes every op each edit made
//! and every answer the service gave, then lets every device sync until quiet and hands all of
//! it to `check`. Everything random comes from the seed, so a seed replays the same schedule
//! (the service's clock and the network's timing are real and are not replayed).

use crate::check;
use crate::device::{hook, Device, Net, PageFault, Recording};
use crate::model::{describe, AccessChange, AccessKind, Answer};
use crate::photo;
use crate::rng::Rng;
use crate::world::{World, PASSWORD};
use chrono::{Duration, Utc};
use porchlight_domain::{
    CaseFields, CaseId, CaseStatus, CompanionFields, ConflictResolution, ContactFields, EnrolForm, HairColor, NoteCategory, NoteInput,
    Outcome as StatusOutcome, PhotoKind, PhotoMeta, Relationship, StatusChange,
};
use porchlight_server::people::Role;
use porchlight_store::{StoreError, SyncIdentity, Workspace};
use porchlight_sync::fields::flatten;
use porchlight_sync::{Entity, Op, OpBody, Replica, Stamp};
use porchlight_sync_client::{sync_once, Fault, Phase, Remote, SyncError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How big a run is. Small by default, so 50 seeds fit in a few minutes of a debug build.
#[derive(Debug, Clone)]
pub struct Settings {
    pub steps: usize,
    pub max_cases: usize,
}

impl Settings {
    /// `SYNC_SIM_STEPS` and `SYNC_SIM_CASES` override the defaults.
    pub fn from_env() -> Settings {
        let read = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        Settings {
            steps: read("SYNC_SIM_STEPS", 150),
            max_cases: read("SYNC_SIM_CASES", 20),
        }
    }
}

/// What a seed did, for the summary line.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub devices: usize,
    pub cases: usize,
    pub edits: usize,
    pub syncs: usize,
    pub failed_syncs: usize,
    pub ops_applied: usize,
    pub ops_rejected: usize,
    pub conflicts: usize,
    pub resolved: usize,
    pub faults: BTreeMap<String, usize>,
    /// Conflicts raised, by kind of record (`status` for racing status changes).
    pub conflict_fields: BTreeMap<String, usize>,
    /// Seconds spent building the world, playing the schedule (and settling), and checking.
    pub setup_secs: f64,
    pub play_secs: f64,
    pub check_secs: f64,
}

/// Everything a finished run hands to the checks.
pub struct Finished {
    pub seed: u64,
    pub world: World,
    pub devices: Vec<Device>,
    pub answers: Vec<Answer>,
    pub access: Vec<AccessChange>,
    /// Ops the run's edits made: op id → (device, step, what the edit was).
    pub made: BTreeMap<Uuid, (usize, usize, String)>,
    /// The op sent with a far-future stamp, and its device.
    pub future_op: Option<(usize, Uuid)>,
    /// Case id → the run's number for it, which is also inside its confidential texts.
    pub case_numbers: BTreeMap<Uuid, usize>,
    pub findings: Vec<String>,
    pub trace: Vec<String>,
    pub stats: Stats,
    pub _dir: tempfile::TempDir,
}

/// Text put in every confidential value, so a leak is found by searching for it. The number
/// tells the cases apart; no value a poster may show ever contains "ZQCONF". The part searched
/// for each case holds a U, a letter no case number has (they are Crockford base 32): with
/// "ZQ8X" the random "PL-2612-ZQ8X-8JX7" of a case in scope read as case 8's secret.
pub fn secret(case: usize) -> String {
    format!("ZQCONF ZU{case}X")
}

const GIVEN: &[&str] = &[
    "Rosa", "Amara", "Lena", "Tomas", "Ines", "Kofi", "Mei", "Yusuf", "Nadia", "Pavel", "Odile", "Ravi", "Sade", "Joon",
];
const FAMILY: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Quiroga",
    "Haddad",
    "Novak",
    "Achebe",
    "Ferreira",
    "Kowalski",
    "Bauer",
];
const CITIES: &[&str] = &["Tulsa", "Norman", "Wichita", "Amarillo", "Lawton", "Enid"];
const WORDS: &[&str] = &[
    "blue", "green", "striped", "red", "grey", "denim", "wool", "yellow", "black", "checked",
];
const ITEMS: &[&str] = &["hoodie", "jacket", "backpack", "cap", "sneakers", "scarf", "coat", "jeans"];

/// The case fields the schedule edits most, so that two devices often write the same one.
const HOT: &[&str] = &[
    "child.nicknames",
    "description.clothing",
    "event.circumstances",
    "description.scars_marks_tattoos",
    "description.hair",
    "description.glasses",
    "event.city",
    "law_enforcement.investigator_name",
    "description.medical_cautions",
    "event.possible_destinations",
    "companions",
];

/// The ones a poster shows, which a volunteer's device holds (and may try to edit).
const POSTER_HOT: &[&str] = &["child.nicknames", "description.clothing", "event.city"];

/// Fields whose conflicts may be settled with an edited text.
const EDITABLE_TEXT: &[&str] = &[
    "description.clothing",
    "event.circumstances",
    "description.scars_marks_tattoos",
    "description.medical_cautions",
    "event.possible_destinations",
    "notes",
    "best_time_to_call",
];

#[derive(Debug, Clone, Copy)]
enum SyncFault {
    LoseReply(Phase),
    Duplicate(Phase),
    OfflineAt(Phase),
    CutUpload,
    CutDownload,
    Page(PageFault),
}

/// What an edit must have added to the outbox.
enum Expect {
    Set {
        entity: Entity,
        record: Uuid,
        fields: Vec<(String, Value)>,
    },
    Append {
        entity: Entity,
        check: Box<dyn Fn(&Value) -> bool>,
        what: String,
    },
    Resolves(Uuid),
}

pub struct Run {
    seed: u64,
    rng: Rng,
    photo_rng: Rng,
    world: World,
    devices: Vec<Device>,
    dir: tempfile::TempDir,
    tick: u64,
    step: usize,
    trace: Vec<String>,
    answers: Vec<Answer>,
    seen: HashMap<Uuid, usize>,
    reached: HashMap<Uuid, u64>,
    access: Vec<AccessChange>,
    made: BTreeMap<Uuid, (usize, usize, String)>,
    future_op: Option<(usize, Uuid)>,
    future_step: usize,
    volunteer_edits: usize,
    case_numbers: BTreeMap<Uuid, usize>,
    findings: Vec<String>,
    stats: Stats,
    /// The last case field written, by device: a later edit on another device often aims at it.
    hot_spot: Option<(usize, Uuid, &'static str)>,
    /// The last case touched by any edit, and the last contact or photo edited, by device.
    case_spot: Option<(usize, Uuid)>,
    record_spot: Option<(usize, Uuid)>,
    settings: Settings,
}

type Res<T> = Result<T, String>;

impl Run {
    /// Builds the organisation, enrols the devices and syncs each once (which also measures
    /// each device's clock against the service's).
    pub fn start(seed: u64, settings: Settings, admin: &str) -> Res<Run> {
        let mut rng = Rng::new(seed);
        let photo_rng = rng.fork(1);
        let mut world = World::start(admin, &seed.to_string()).map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
        let w = |e: crate::world::WorldError| e.to_string();
        // Two or three offices; the first two share a region half the time, so a volunteer
        // sometimes reaches another office's active cases.
        let three = rng.chance(0.5);
        let shared_region = rng.chance(0.5);
        let north = world.add_office("North", "Plains").map_err(w)?;
        let south = world
            .add_office("South", if shared_region { "Plains" } else { "Gulf" })
            .map_err(w)?;
        let east = if three {
            Some(world.add_office("East", "Coast").map_err(w)?)
        } else {
            None
        };
        let sup_n = world.add_person("sup.north", Role::Supervisor, Some(north)).map_err(w)?;
        world.add_person("sup.south", Role::Supervisor, Some(south)).map_err(w)?;
        if let Some(e) = east {
            world.add_person("sup.east", Role::Supervisor, Some(e)).map_err(w)?;
            world.add_person("cm.dana", Role::CaseManager, Some(e)).map_err(w)?;
        }
        let ana = world.add_person("cm.ana", Role::CaseManager, Some(north)).map_err(w)?;
        let ben = world.add_person("cm.ben", Role::CaseManager, Some(north)).map_err(w)?;
        let cruz = world.add_person("cm.cruz", Role::CaseManager, Some(south)).map_err(w)?;
        let vol_office = if rng.chance(0.5) { north } else { south };
        let vol = world.add_person("vol.vic", Role::Volunteer, Some(vol_office)).map_err(w)?;
        let poster = world.add_person("poster.pat", Role::PosterStaff, None).map_err(w)?;

        // Devices: Ana's laptop and the volunteer's always; then two to three more of: Ana's
        // second laptop, Ben, the North supervisor, Cruz, poster staff.
        let mut owners = vec![ana, vol];
        let mut pool = vec![ana, ben, sup_n, cruz, poster];
        let more = rng.range(1, 3) as usize;
        for _ in 0..more {
            let i = rng.below(pool.len());
            owners.push(pool.remove(i));
        }
        let mut run = Run {
            seed,
            rng,
            photo_rng,
            world,
            devices: Vec::new(),
            dir,
            tick: 0,
            step: 0,
            trace: Vec::new(),
            answers: Vec::new(),
            seen: HashMap::new(),
            reached: HashMap::new(),
            access: Vec::new(),
            made: BTreeMap::new(),
            future_op: None,
            future_step: 0,
            volunteer_edits: 0,
            case_numbers: BTreeMap::new(),
            findings: Vec::new(),
            stats: Stats::default(),
            hot_spot: None,
            case_spot: None,
            record_spot: None,
            settings,
        };
        run.future_step = run.rng.range(20, (run.settings.steps as i64 - 10).max(21)) as usize;
        let mut logins: HashMap<usize, i64> = HashMap::new();
        for (index, person) in owners.into_iter().enumerate() {
            let n = logins.entry(person).or_insert(0);
            let device = run.enrol(index, person, *n)?;
            *n += 1;
            run.devices.push(device);
        }
        run.stats.devices = run.devices.len();
        for d in 0..run.devices.len() {
            if works_before_first_contact(d, run.devices[d].skew) {
                run.work_before_first_contact(d)?;
            }
        }
        for d in 0..run.devices.len() {
            if let Err(e) = run.sync(d, None) {
                return Err(format!("the first sync of device {d} failed: {e}"));
            }
        }
        Ok(run)
    }

    fn enrol(&mut self, index: usize, person: usize, login: i64) -> Res<Device> {
        let p = self.world.roster.people[person].clone();
        let skew = Duration::seconds(self.rng.range(-3 * 3600, 3 * 3600));
        let path = self.dir.path().join(format!("device-{index}.porchlight"));
        let passphrase = format!("sim passphrase {} for device {index}", p.username);
        let wall = Utc::now() + skew;
        let mut ws = Workspace::create(&path, &passphrase, porchlight_domain::Moment::at_utc(wall))
            .map_err(|e| format!("create workspace {index}: {e}"))?;
        ws.set_actor(&p.display_name);
        let form = EnrolForm {
            server_url: self.world.base_url.clone(),
            username: p.username.clone(),
            password: PASSWORD.into(),
            totp: self.world.totp_code(person, login).unwrap_or_default(),
            device_name: format!("{} laptop {index}", p.username),
        };
        let (remote, enrolment) =
            Remote::enrol(&self.world.base_url, &form).map_err(|e| format!("enrol device {index} as {}: {e}", p.username))?;
        // Most devices fold in the service's clock from the enrolment's hello at once. One whose
        // clock runs well ahead does not: it works before its first sync as a laptop enrolled
        // on a train would, every stamp hours ahead of what the service accepts, and its first
        // sync must stamp them again rather than have them refused.
        if !works_before_first_contact(index, skew) {
            ws.observe_server(&enrolment.hello, Utc::now() + skew)
                .map_err(|e| format!("fold in the service's clock on device {index}: {e}"))?;
        }
        ws.set_sync_identity(
            &SyncIdentity {
                server_url: self.world.base_url.clone(),
                device_id: enrolment.device_id,
                token: enrolment.token.clone(),
                user_id: enrolment.user_id,
                username: enrolment.username.clone(),
                display_name: enrolment.display_name.clone(),
                role: enrolment.role.clone(),
            },
            porchlight_domain::Moment::at_utc(Utc::now() + skew),
        )
        .map_err(|e| format!("keep the enrolment of device {index}: {e}"))?;
        let net = Arc::new(Mutex::new(Net::default()));
        let remote = remote.with_fault_hook(hook(net.clone()));
        self.log(format!(
            "device {index}: {} ({}, {}), clock {:+} min",
            p.username,
            p.role.code(),
            self.world.roster.office_name(p.office),
            skew.num_minutes()
        ));
        Ok(Device {
            index,
            person,
            path,
            passphrase,
            skew,
            replica: Recording {
                ws,
                offered: Default::default(),
                answers: Vec::new(),
                page_fault: None,
                future: None,
                pages_applied: 0,
            },
            remote,
            token: enrolment.token,
            device_id: enrolment.device_id,
            net,
            offline_for: 0,
        })
    }

    fn log(&mut self, line: String) {
        self.trace.push(format!("[{:>3}] {line}", self.step));
    }

    fn finding(&mut self, line: String) {
        self.log(format!("FINDING: {line}"));
        self.findings.push(format!("step {}: {line}", self.step));
    }

    fn who(&self, d: usize) -> String {
        let p = &self.world.roster.people[self.devices[d].person];
        format!("device {d} ({})", p.username)
    }

    fn role(&self, d: usize) -> Role {
        self.world.roster.people[self.devices[d].person].role
    }

    fn case_label(&self, case: Uuid) -> String {
        match self.case_numbers.get(&case) {
            Some(n) => format!("C{n}"),
            None => format!("case {case}"),
        }
    }

    /// Plays the schedule, then syncs everyone until quiet.
    pub fn play(mut self) -> Finished {
        for step in 1..=self.settings.steps {
            self.step = step;
            for d in &mut self.devices {
                d.offline_for = d.offline_for.saturating_sub(1);
            }
            if step == self.future_step {
                self.future_stamp();
                continue;
            }
            let cases = self.case_numbers.len();
            let create_weight = if cases < 4 {
                40
            } else if cases < self.settings.max_cases {
                6
            } else {
                0
            };
            let action = *self.rng.weighted(&[
                ("create", create_weight),
                ("edit", 30),
                ("sync", 22),
                ("contact", 8),
                ("note", 8),
                ("status", 7),
                ("photo", 5),
                ("resolve", 6),
                ("tip", 3),
                ("access", 5),
                ("offline", 4),
                ("archive", 1),
                ("volunteer_edit", if self.volunteer_edits < 2 { 1 } else { 0 }),
            ]);
            let result = match action {
                "create" => self.create_case(),
                "edit" => self.edit_fields(),
                "sync" => self.random_sync(),
                "contact" => self.contact(),
                "note" => self.note(),
                "status" => self.status(),
                "photo" => self.photo(),
                "resolve" => self.resolve(),
                "tip" => self.tip(),
                "access" => self.access_change(),
                "offline" => self.go_offline(),
                "archive" => self.archive(),
                "volunteer_edit" => self.volunteer_edit(),
                _ => unreachable!("every action is listed"),
            };
            if let Err(e) = result {
                self.finding(e);
            }
        }
        self.settle();
        Finished {
            seed: self.seed,
            world: self.world,
            devices: self.devices,
            answers: self.answers,
            access: self.access,
            made: self.made,
            future_op: self.future_op,
            case_numbers: self.case_numbers,
            findings: self.findings,
            trace: self.trace,
            stats: self.stats,
            _dir: self.dir,
        }
    }

    /// Every device online and syncing in turn, without faults, until a whole round moves
    /// nothing (at most five rounds; two must always be enough).
    fn settle(&mut self) {
        self.step = self.settings.steps + 1;
        self.log("settling: every device online, syncing in turn until nothing moves".into());
        for d in &mut self.devices {
            d.offline_for = 0;
            d.replica.page_fault = None;
            d.replica.future = None;
            let mut net = d.net.lock().expect("net lock");
            net.armed.clear();
            net.offline = false;
        }
        for round in 1..=5 {
            let mut moved = false;
            for d in 0..self.devices.len() {
                match self.sync(d, None) {
                    Ok(r) => moved |= r.pushed + r.rejected + r.pulled + r.removed_cases + r.blobs_up + r.blobs_down > 0,
                    Err(e) => {
                        let who = self.who(d);
                        self.finding(format!("{who} could not sync while settling (round {round}): {e}"));
                        moved = true;
                    }
                }
            }
            if !moved {
                self.log(format!("quiet after round {round}"));
                if round > 3 {
                    self.finding(format!(
                        "the devices needed {} rounds of syncing to stop moving; two must do",
                        round - 1
                    ));
                }
                return;
            }
        }
        self.finding("the devices never stopped moving after five rounds of syncing".into());
    }

    // ---- choosing ---------------------------------------------------------------------

    fn writers(&self) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|d| porchlight_server::rules::grant(self.role(*d)).write_cases)
            .collect()
    }

    fn held(&self, d: usize) -> Vec<Uuid> {
        let query = porchlight_domain::ListQuery {
            limit: porchlight_domain::ListQuery::MAX_LIMIT,
            include_archived: true,
            ..Default::default()
        };
        match self.devices[d].replica.ws.list_cases(&query) {
            Ok(page) => page.rows.iter().map(|c| *c.id.as_uuid()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A device that may write and a case it holds, aiming at the last edited spot half the time.
    fn pick_case(&mut self, devices: &[usize]) -> Option<(usize, Uuid)> {
        if devices.is_empty() {
            return None;
        }
        if let Some((last, case)) = self.case_spot {
            if self.rng.chance(0.5) {
                let others: Vec<usize> = devices
                    .iter()
                    .copied()
                    .filter(|d| *d != last && self.held(*d).contains(&case))
                    .collect();
                if !others.is_empty() {
                    return Some((*self.rng.pick(&others), case));
                }
            }
        }
        for _ in 0..4 {
            let d = *self.rng.pick(devices);
            let cases = self.held(d);
            if !cases.is_empty() {
                return Some((d, *self.rng.pick(&cases)));
            }
        }
        None
    }

    /// The contact or photo another device edited last, when it is among `items`, most of the
    /// time; else any of them.
    fn spot_or_pick<T: Clone>(&mut self, d: usize, items: &[T], id: impl Fn(&T) -> Uuid) -> T {
        if let Some((last, record)) = self.record_spot {
            if last != d && self.rng.chance(0.7) {
                if let Some(item) = items.iter().find(|i| id(i) == record) {
                    return item.clone();
                }
            }
        }
        self.rng.pick(items).clone()
    }

    // ---- the outbox -------------------------------------------------------------------

    fn outbox(&self, d: usize) -> Vec<Op> {
        self.devices[d].replica.ws.outbox(100_000).unwrap_or_default()
    }

    /// Checks that an edit added the ops it must have, and notes every op it added.
    fn expect(&mut self, d: usize, before: &BTreeSet<Uuid>, what: &str, expects: Vec<Expect>) {
        let after = self.outbox(d);
        let new: Vec<Op> = after.into_iter().filter(|op| !before.contains(&op.id)).collect();
        for op in &new {
            self.made.insert(op.id, (d, self.step, what.to_owned()));
        }
        for e in expects {
            let ok = new.iter().any(|op| match (&e, &op.body) {
                (
                    Expect::Set { entity, record, fields },
                    OpBody::Set {
                        entity: en,
                        record_id,
                        fields: written,
                    },
                ) => {
                    en == entity
                        && record_id == record
                        && fields
                            .iter()
                            .all(|(f, v)| written.iter().any(|w| &w.field == f && crate::model::same_json(&w.value, v)))
                }
                (Expect::Append { entity, check, .. }, OpBody::Append { entity: en, record, .. }) => en == entity && check(record),
                (Expect::Resolves(id), _) => op.resolves.contains(id),
                _ => false,
            });
            if !ok {
                let wanted = match &e {
                    Expect::Set { entity, record, fields } => format!(
                        "a set of {} {record} writing {}",
                        entity.as_str(),
                        fields.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join(", ")
                    ),
                    Expect::Append { entity, what, .. } => format!("an append of a {} ({what})", entity.as_str()),
                    Expect::Resolves(id) => format!("an op resolving conflict {id}"),
                };
                let got = new.iter().map(describe).collect::<Vec<_>>().join("; ");
                let who = self.who(d);
                self.finding(format!("{who}: {what} added no op to the outbox like {wanted}; it added: [{got}]"));
            }
        }
    }

    fn outbox_ids(&self, d: usize) -> BTreeSet<Uuid> {
        self.outbox(d).into_iter().map(|op| op.id).collect()
    }

    // ---- syncing ----------------------------------------------------------------------

    fn random_sync(&mut self) -> Res<()> {
        let online: Vec<usize> = (0..self.devices.len()).filter(|d| self.devices[*d].offline_for == 0).collect();
        if online.is_empty() {
            return Ok(());
        }
        let d = *self.rng.pick(&online);
        let uploads = self.devices[d].replica.ws.blobs_to_upload().map(|b| !b.is_empty()).unwrap_or(false);
        let fault = if uploads && self.rng.chance(0.5) {
            // Photo bytes wait to go up: cut the upload half the time, so it must resume.
            Some(SyncFault::CutUpload)
        } else if self.rng.chance(0.35) {
            Some(*self.rng.pick(&[
                SyncFault::LoseReply(Phase::Push),
                SyncFault::LoseReply(Phase::Push),
                SyncFault::Duplicate(Phase::Push),
                SyncFault::LoseReply(Phase::Pull),
                SyncFault::Duplicate(Phase::Pull),
                SyncFault::OfflineAt(Phase::Pull),
                SyncFault::OfflineAt(Phase::Push),
                SyncFault::CutUpload,
                SyncFault::CutDownload,
                SyncFault::Page(PageFault::Crash),
                SyncFault::Page(PageFault::Crash),
                SyncFault::Page(PageFault::Twice),
            ]))
        } else {
            None
        };
        let result = self.sync(d, fault);
        if result.is_err() && fault.is_some() {
            // A device that lost its connection or crashed syncs again, as the app would.
            let _ = self.sync(d, None);
        }
        if self.rng.chance(0.25) {
            self.push_again(d)?;
        }
        Ok(())
    }

    /// One sync of device `d`, with an optional injected fault; notes every answer.
    fn sync(&mut self, d: usize, fault: Option<SyncFault>) -> Result<porchlight_domain::SyncReport, SyncError> {
        self.tick += 1;
        let tick = self.tick;
        self.stats.syncs += 1;
        {
            let dev = &mut self.devices[d];
            dev.replica.offered.borrow_mut().clear();
            let mut net = dev.net.lock().expect("net lock");
            net.pushes_reached = 0;
            net.hit.clear();
            net.armed.clear();
            match fault {
                Some(SyncFault::LoseReply(p)) => net.armed.push_back((p, Fault::LoseReply)),
                Some(SyncFault::Duplicate(p)) => net.armed.push_back((p, Fault::Duplicate)),
                Some(SyncFault::OfflineAt(p)) => net.armed.push_back((p, Fault::Offline)),
                Some(SyncFault::CutUpload) => net.armed.push_back((Phase::BlobChunk, Fault::CutAfter(50))),
                Some(SyncFault::CutDownload) => net.armed.push_back((Phase::BlobDownload, Fault::CutAfter(60))),
                Some(SyncFault::Page(p)) => dev.replica.page_fault = Some(p),
                None => {}
            }
        }
        let skew = self.devices[d].skew;
        let wall = move || Utc::now() + skew;
        let result = {
            let dev = &mut self.devices[d];
            sync_once(&dev.remote, &mut dev.replica, &wall)
        };
        let (reached, hits) = {
            let dev = &mut self.devices[d];
            let mut net = dev.net.lock().expect("net lock");
            let hits = std::mem::take(&mut net.hit);
            // A page fault left unused (the sync ended before any page came) does not carry over.
            dev.replica.page_fault = None;
            net.armed.clear();
            (net.pushes_reached > 0, hits)
        };
        let offered: Vec<Uuid> = self.devices[d].replica.offered.borrow().clone();
        if reached {
            for op in offered {
                self.reached.entry(op).or_insert(tick);
            }
        }
        let answers = std::mem::take(&mut self.devices[d].replica.answers);
        for (op, result) in answers {
            match self.seen.get(&op.id) {
                Some(&i) => {
                    let first = &self.answers[i].result;
                    if serde_json::to_value(first).ok() != serde_json::to_value(&result).ok() {
                        let msg = format!(
                            "op {} ({}) was answered twice differently: first {}, then {}",
                            op.id,
                            describe(&op),
                            serde_json::to_string(first).unwrap_or_default(),
                            serde_json::to_string(&result).unwrap_or_default()
                        );
                        self.finding(msg);
                    }
                }
                None => {
                    let at = self.reached.get(&op.id).copied().unwrap_or(tick);
                    match &result.outcome {
                        porchlight_sync::Outcome::Applied { .. } => self.stats.ops_applied += 1,
                        porchlight_sync::Outcome::Rejected { code, reason } => {
                            self.stats.ops_rejected += 1;
                            let who = self.who(d);
                            self.log(format!("{who}: op {} refused ({code:?}): {reason}", op.id));
                        }
                    }
                    self.stats.conflicts += result.conflicts.len();
                    for c in &result.conflicts {
                        let what = if c.entity == Entity::Case || c.field == "status" {
                            c.field.clone()
                        } else {
                            format!("{} {}", c.entity.as_str(), c.field)
                        };
                        *self
                            .stats
                            .conflict_fields
                            .entry(if c.field == "status" {
                                "status".into()
                            } else {
                                c.entity.as_str().to_owned()
                            })
                            .or_default() += 1;
                        let label = self.case_label(c.case_id);
                        self.log(format!(
                            "conflict {} raised on {label} {what}: kept {} (op {}), other {} (op {})",
                            c.id, c.kept.value, c.kept.op_id, c.other.value, c.other.op_id
                        ));
                    }
                    self.seen.insert(op.id, self.answers.len());
                    self.answers.push(Answer {
                        op,
                        device: d,
                        result,
                        tick: at,
                    });
                }
            }
        }
        let mut fault_words: Vec<String> = hits.clone();
        if let Some(SyncFault::Page(p)) = fault {
            fault_words.push(format!("page {p:?}"));
        }
        for h in &fault_words {
            let kind = h.split(" /").next().unwrap_or(h).to_owned();
            *self.stats.faults.entry(kind).or_default() += 1;
        }
        let who = self.who(d);
        match &result {
            Ok(r) => {
                self.log(format!(
                    "{who} synced{}: pushed {}, refused {}, pulled {}, removed cases {}, photos up {} down {}, conflicts {}",
                    if fault_words.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", fault_words.join(", "))
                    },
                    r.pushed,
                    r.rejected,
                    r.pulled,
                    r.removed_cases,
                    r.blobs_up,
                    r.blobs_down,
                    r.conflicts
                ));
                let pending = self.devices[d]
                    .replica
                    .ws
                    .outbox(usize::MAX)
                    .map(|ops| ops.len())
                    .unwrap_or(usize::MAX);
                if pending != 0 {
                    self.finding(format!("{who} finished a sync with {pending} ops still waiting in its outbox"));
                }
            }
            Err(e) => {
                self.stats.failed_syncs += 1;
                self.log(format!("{who} sync failed [{}]: {e}", fault_words.join(", ")));
                if fault_words.is_empty() {
                    self.finding(format!("{who}: a sync with no injected fault failed: {e}"));
                }
            }
        }
        result
    }

    /// Sends some of the ops the device last had answered again, as a duplicated request would,
    /// and checks that each answer is the first one, unchanged.
    fn push_again(&mut self, d: usize) -> Res<()> {
        let mine: Vec<&Answer> = self.answers.iter().filter(|a| a.device == d).collect();
        if mine.is_empty() {
            return Ok(());
        }
        let take = mine.len().min(1 + self.rng.below(4));
        let start = mine.len() - take;
        let ops: Vec<Op> = mine[start..].iter().map(|a| a.op.clone()).collect();
        let expected: Vec<Value> = mine[start..]
            .iter()
            .map(|a| serde_json::to_value(&a.result).unwrap_or(Value::Null))
            .collect();
        let token = self.devices[d].token.clone();
        let response = self.world.push_again(&token, &ops).map_err(|e| e.to_string())?;
        *self.stats.faults.entry("repeated push (raw)".into()).or_default() += 1;
        if response.results.len() != ops.len() {
            return Err(format!(
                "a repeated push of {} ops got {} answers",
                ops.len(),
                response.results.len()
            ));
        }
        for ((op, want), got) in ops.iter().zip(expected).zip(&response.results) {
            let got = serde_json::to_value(got).unwrap_or(Value::Null);
            if got != want {
                self.finding(format!(
                    "op {} ({}) sent again was answered {got} instead of its first answer {want}",
                    op.id,
                    describe(op)
                ));
            }
        }
        self.log(format!("{}: sent {} answered ops again; same answers", self.who(d), ops.len()));
        Ok(())
    }

    fn go_offline(&mut self) -> Res<()> {
        let d = self.rng.below(self.devices.len());
        let steps = self.rng.range(5, 30) as usize;
        self.devices[d].offline_for = steps;
        self.log(format!("{} goes offline for {steps} steps", self.who(d)));
        Ok(())
    }

    // ---- editing ----------------------------------------------------------------------

    fn store_err(&self, d: usize, what: &str, e: StoreError) -> String {
        format!("{}: {what} was refused by the store: {e} ({e:?})", self.who(d))
    }

    fn create_case(&mut self) -> Res<()> {
        let writers = self.writers();
        if writers.is_empty() {
            return Ok(());
        }
        let d = *self.rng.pick(&writers);
        self.create_case_on(d).map(|_| ())
    }

    /// A case made and edited on device `d` before it has ever reached the service, its clock
    /// hours ahead: every op stamped past what the service accepts until its first sync.
    fn work_before_first_contact(&mut self, d: usize) -> Res<()> {
        let minutes = self.devices[d].skew.num_minutes();
        self.log(format!("{}: works before its first sync, its clock {minutes:+} min", self.who(d)));
        let case = self.create_case_on(d)?;
        self.edit_fields_on(d, case)?;
        *self.stats.faults.entry("work before first contact, clock ahead".into()).or_default() += 1;
        Ok(())
    }

    fn create_case_on(&mut self, d: usize) -> Res<Uuid> {
        let n = self.case_numbers.len() + 1;
        let today = (Utc::now() - Duration::days(2)).date_naive();
        let mut fields = porchlight_seed::case_fields(self.seed, n as u64, today);
        let secret = secret(n);
        fields.description.medical_cautions = format!("{secret} needs an inhaler");
        fields.event.possible_destinations = format!("{secret} an aunt's flat");
        fields.event.address = format!("{secret} 12 Elm Street");
        if fields.missing_from_care {
            fields.care_agency = format!("{secret} County Children's Services");
        }
        let before = self.outbox_ids(d);
        let now = self.devices[d].now();
        let record = self.devices[d]
            .ws()
            .create_case(&fields, now)
            .map_err(|e| self.store_err(d, "creating a case", e))?;
        let case = *record.id.as_uuid();
        self.case_numbers.insert(case, n);
        self.stats.cases += 1;
        self.stats.edits += 1;
        let label = self.case_label(case);
        self.log(format!("{} creates {label} = {case} ({})", self.who(d), record.case_number));
        let number = record.case_number.clone();
        self.expect(
            d,
            &before,
            &format!("creating {label}"),
            vec![
                Expect::Set {
                    entity: Entity::Case,
                    record: case,
                    fields: vec![
                        ("case_number".into(), json!(number)),
                        ("child.given_name".into(), json!(record.fields.child.given_name)),
                    ],
                },
                Expect::Append {
                    entity: Entity::StatusEvent,
                    check: Box::new(|r| r.get("to").and_then(Value::as_str) == Some("intake")),
                    what: "to intake".into(),
                },
            ],
        );
        Ok(case)
    }

    fn new_value(&mut self, field: &str, current: &CaseFields, case: Uuid) -> Option<CaseFields> {
        let mut f = current.clone();
        let s = self.step;
        let n = self.case_numbers.get(&case).copied().unwrap_or(0);
        let same = self.rng.chance(0.1);
        match field {
            "child.nicknames" => f.child.nicknames = (*self.rng.pick(GIVEN)).to_owned(),
            "description.clothing" => {
                f.description.clothing = if same {
                    "plain white shirt".into()
                } else {
                    format!("{} {} s{s}", self.rng.pick(WORDS), self.rng.pick(ITEMS))
                }
            }
            "event.circumstances" => f.event.circumstances = format!("Last seen near the {} bus stop; update s{s}.", self.rng.pick(WORDS)),
            "description.scars_marks_tattoos" => {
                f.description.scars_marks_tattoos = format!("small scar on the {} hand s{s}", self.rng.pick(&["left", "right"]))
            }
            "description.hair" => f.description.hair = Some(*self.rng.pick(HairColor::ALL)),
            "description.glasses" => f.description.glasses = !f.description.glasses,
            "event.city" => f.event.city = (*self.rng.pick(CITIES)).to_owned(),
            "law_enforcement.investigator_name" => {
                f.law_enforcement.investigator_name = format!("{} {}", self.rng.pick(GIVEN), self.rng.pick(FAMILY))
            }
            "description.medical_cautions" => f.description.medical_cautions = format!("{} allergy update s{s}", secret(n)),
            "event.possible_destinations" => f.event.possible_destinations = format!("{} cousin's house s{s}", secret(n)),
            "companions" => {
                f.companions = vec![CompanionFields {
                    name: format!("{} {}", self.rng.pick(GIVEN), self.rng.pick(FAMILY)),
                    relationship: "friend".into(),
                    date_of_birth: String::new(),
                    description: format!("tall, {} jacket", self.rng.pick(WORDS)),
                }]
            }
            _ => return None,
        }
        Some(f)
    }

    fn edit_fields(&mut self) -> Res<()> {
        let writers = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let before_rec = self.devices[d]
            .replica
            .ws
            .get_case(id)
            .map_err(|e| self.store_err(d, "reading a case", e))?;
        let mut fields = before_rec.fields.clone();
        let count = self.rng.range(1, 3) as usize;
        let mut chosen: Vec<&'static str> = Vec::new();
        if let Some((last, spot, field)) = self.hot_spot {
            if last != d && spot == case && self.rng.chance(0.7) {
                chosen.push(field);
            }
        }
        while chosen.len() < count {
            let f = *self.rng.pick(HOT);
            if !chosen.contains(&f) {
                chosen.push(f);
            }
        }
        for f in &chosen {
            if let Some(next) = self.new_value(f, &fields, case) {
                fields = next;
            }
        }
        self.write_case(d, case, before_rec, fields, &chosen)
    }

    fn write_case(
        &mut self,
        d: usize,
        case: Uuid,
        before: porchlight_domain::CaseRecord,
        fields: CaseFields,
        chosen: &[&'static str],
    ) -> Res<()> {
        let id = CaseId::from_uuid(case);
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let label = self.case_label(case);
        let after = match self.devices[d].ws().update_case(id, before.version, &fields, now) {
            Ok(r) => r,
            Err(StoreError::Validation(errors)) if self.role(d) == Role::Volunteer => {
                // A volunteer's copy holds poster fields only; the form may not validate there.
                self.log(format!("{} could not edit {label}: {errors:?}", self.who(d)));
                return Ok(());
            }
            Err(e) => return Err(self.store_err(d, &format!("editing {label}"), e)),
        };
        self.stats.edits += 1;
        let old = flatten(&serde_json::to_value(&before.fields).expect("a case form is JSON"));
        let new = flatten(&serde_json::to_value(&after.fields).expect("a case form is JSON"));
        let changed: Vec<(String, Value)> = porchlight_sync::fields::changed(&old, &new);
        if let Some(f) = chosen.first() {
            self.hot_spot = Some((d, case, f));
        }
        self.case_spot = Some((d, case));
        self.log(format!(
            "{} edits {label}: {}{}",
            self.who(d),
            changed.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join(", "),
            if self.devices[d].offline_for > 0 { " (offline)" } else { "" }
        ));
        if !changed.is_empty() {
            self.expect(
                d,
                &ids,
                &format!("editing {label}"),
                vec![Expect::Set {
                    entity: Entity::Case,
                    record: case,
                    fields: changed,
                }],
            );
        }
        Ok(())
    }

    fn archive(&mut self) -> Res<()> {
        let writers = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let rec = self.devices[d]
            .replica
            .ws
            .get_case(id)
            .map_err(|e| self.store_err(d, "reading a case", e))?;
        let archive = rec.archived_at.is_none();
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let label = self.case_label(case);
        self.devices[d]
            .ws()
            .set_archived(id, archive, now)
            .map_err(|e| self.store_err(d, &format!("archiving {label}"), e))?;
        self.stats.edits += 1;
        self.log(format!(
            "{} {} {label}",
            self.who(d),
            if archive { "archives" } else { "unarchives" }
        ));
        self.expect(
            d,
            &ids,
            &format!("archiving {label}"),
            vec![Expect::Set {
                entity: Entity::Case,
                record: case,
                fields: vec![("archived".into(), json!(archive))],
            }],
        );
        Ok(())
    }

    fn volunteer_edit(&mut self) -> Res<()> {
        let vols: Vec<usize> = (0..self.devices.len())
            .filter(|d| !porchlight_server::rules::grant(self.role(*d)).write_cases)
            .collect();
        let Some((d, case)) = self.pick_case(&vols) else { return Ok(()) };
        self.volunteer_edits += 1;
        let id = CaseId::from_uuid(case);
        let before = self.devices[d]
            .replica
            .ws
            .get_case(id)
            .map_err(|e| self.store_err(d, "reading a case", e))?;
        let field = *self.rng.pick(POSTER_HOT);
        let Some(fields) = self.new_value(field, &before.fields, case) else {
            return Ok(());
        };
        self.log(format!(
            "{} tries to edit {} (its role may not)",
            self.who(d),
            self.case_label(case)
        ));
        self.write_case(d, case, before, fields, &[field])
    }

    fn contact(&mut self) -> Res<()> {
        let writers: Vec<usize> = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let contacts = self.devices[d]
            .replica
            .ws
            .contacts(id)
            .map_err(|e| self.store_err(d, "listing contacts", e))?;
        let current: Vec<_> = contacts.iter().filter(|c| c.removed_at.is_none()).cloned().collect();
        let n = self.case_numbers.get(&case).copied().unwrap_or(0);
        let label = self.case_label(case);
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let s = self.step;
        let roll = self.rng.below(10);
        if current.is_empty() || roll < 4 {
            let fields = ContactFields {
                name: format!("{} {}", self.rng.pick(GIVEN), self.rng.pick(FAMILY)),
                relationship: Some(*self.rng.pick(&[
                    Relationship::Mother,
                    Relationship::Father,
                    Relationship::Grandparent,
                    Relationship::Guardian,
                ])),
                phones: vec![format!("918 555 {:04}", self.rng.below(10_000))],
                notes: format!("{} prefers evenings s{s}", secret(n)),
                do_not_disclose: self.rng.chance(0.2),
                ..Default::default()
            };
            let added = self.devices[d]
                .ws()
                .add_contact(id, &fields, now)
                .map_err(|e| self.store_err(d, "adding a contact", e))?;
            self.stats.edits += 1;
            self.record_spot = Some((d, *added.id.as_uuid()));
            self.case_spot = Some((d, case));
            self.log(format!("{} adds contact {} to {label}", self.who(d), added.id));
            let name = added.fields.name.clone();
            self.expect(
                d,
                &ids,
                "adding a contact",
                vec![Expect::Set {
                    entity: Entity::Contact,
                    record: *added.id.as_uuid(),
                    fields: vec![("name".into(), json!(name))],
                }],
            );
        } else if roll < 8 {
            let c = self.spot_or_pick(d, &current, |c| *c.id.as_uuid());
            let mut fields = c.fields.clone();
            if self.rng.chance(0.5) {
                fields.notes = format!("{} call after six s{s}", secret(n));
            } else {
                fields.best_time_to_call = format!("{} mornings s{s}", self.rng.pick(WORDS));
            }
            let updated = self.devices[d]
                .ws()
                .update_contact(c.id, c.version, &fields, now)
                .map_err(|e| self.store_err(d, "editing a contact", e))?;
            self.stats.edits += 1;
            self.record_spot = Some((d, *c.id.as_uuid()));
            self.case_spot = Some((d, case));
            let old = flatten(&serde_json::to_value(&c.fields).expect("a contact is JSON"));
            let new = flatten(&serde_json::to_value(&updated.fields).expect("a contact is JSON"));
            let changed = porchlight_sync::fields::changed(&old, &new);
            self.log(format!("{} edits contact {} of {label}: {changed:?}", self.who(d), c.id));
            if !changed.is_empty() {
                self.expect(
                    d,
                    &ids,
                    "editing a contact",
                    vec![Expect::Set {
                        entity: Entity::Contact,
                        record: *c.id.as_uuid(),
                        fields: changed,
                    }],
                );
            }
        } else {
            let c = self.rng.pick(&current).clone();
            let reason = format!("number disconnected s{s}");
            self.devices[d]
                .ws()
                .remove_contact(c.id, &reason, now)
                .map_err(|e| self.store_err(d, "removing a contact", e))?;
            self.stats.edits += 1;
            self.log(format!("{} removes contact {} of {label}", self.who(d), c.id));
            self.expect(
                d,
                &ids,
                "removing a contact",
                vec![Expect::Set {
                    entity: Entity::Contact,
                    record: *c.id.as_uuid(),
                    fields: vec![("removed_reason".into(), json!(reason))],
                }],
            );
        }
        Ok(())
    }

    fn note(&mut self) -> Res<()> {
        let writers = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let notes = self.devices[d]
            .replica
            .ws
            .notes(id)
            .map_err(|e| self.store_err(d, "listing notes", e))?;
        let n = self.case_numbers.get(&case).copied().unwrap_or(0);
        let label = self.case_label(case);
        let s = self.step;
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let category = *self.rng.pick(&[
            NoteCategory::Call,
            NoteCategory::Internal,
            NoteCategory::LawEnforcement,
            NoteCategory::FamilyContact,
        ]);
        if notes.is_empty() || self.rng.chance(0.5) {
            let text = format!("{} spoke with the school counsellor s{s}", secret(n));
            let added = self.devices[d]
                .ws()
                .add_note(
                    id,
                    &NoteInput {
                        category,
                        text: text.clone(),
                    },
                    now,
                )
                .map_err(|e| self.store_err(d, "adding a note", e))?;
            self.stats.edits += 1;
            self.record_spot = Some((d, *added.current.note_id.as_uuid()));
            self.case_spot = Some((d, case));
            let note = added.current.note_id.to_string();
            self.log(format!("{} adds note {note} to {label}", self.who(d)));
            self.expect(
                d,
                &ids,
                "adding a note",
                vec![Expect::Append {
                    entity: Entity::Note,
                    check: Box::new(move |r| {
                        r.get("note_id").and_then(Value::as_str) == Some(note.as_str()) && r.get("version") == Some(&json!(1))
                    }),
                    what: "version 1".into(),
                }],
            );
        } else {
            let current = self.spot_or_pick(d, &notes, |n| *n.current.note_id.as_uuid());
            self.record_spot = Some((d, *current.current.note_id.as_uuid()));
            self.case_spot = Some((d, case));
            let text = format!("{} follow-up call booked s{s}", secret(n));
            let note = current.current.note_id;
            let edited = self.devices[d]
                .ws()
                .edit_note(
                    note,
                    current.versions,
                    &NoteInput {
                        category: current.current.category,
                        text,
                    },
                    now,
                )
                .map_err(|e| self.store_err(d, "editing a note", e))?;
            self.stats.edits += 1;
            let version = u64::from(edited.versions);
            self.log(format!("{} edits note {note} of {label} (version {version})", self.who(d)));
            let note = note.to_string();
            self.expect(
                d,
                &ids,
                "editing a note",
                vec![Expect::Append {
                    entity: Entity::Note,
                    check: Box::new(move |r| {
                        r.get("note_id").and_then(Value::as_str) == Some(note.as_str()) && r.get("version") == Some(&json!(version))
                    }),
                    what: format!("version {version}"),
                }],
            );
        }
        Ok(())
    }

    fn tip(&mut self) -> Res<()> {
        let readers: Vec<usize> = (0..self.devices.len())
            .filter(|d| !porchlight_server::rules::grant(self.role(*d)).write_cases)
            .collect();
        let Some((d, case)) = self.pick_case(&readers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let s = self.step;
        let text = format!(
            "Caller saw a child matching the poster near the {} market s{s}",
            self.rng.pick(WORDS)
        );
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let label = self.case_label(case);
        let added = self.devices[d]
            .ws()
            .add_note(
                id,
                &NoteInput {
                    category: NoteCategory::LeadTip,
                    text,
                },
                now,
            )
            .map_err(|e| self.store_err(d, "adding a tip", e))?;
        self.stats.edits += 1;
        self.log(format!("{} sends a tip on {label} (note {})", self.who(d), added.current.note_id));
        self.expect(
            d,
            &ids,
            "sending a tip",
            vec![Expect::Append {
                entity: Entity::Note,
                check: Box::new(|r| {
                    r.get("category")
                        .and_then(Value::as_str)
                        .is_some_and(|c| c == "lead" || c == "lead_tip")
                }),
                what: "category lead".into(),
            }],
        );
        Ok(())
    }

    fn status(&mut self) -> Res<()> {
        let writers = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let rec = self.devices[d]
            .replica
            .ws
            .get_case(id)
            .map_err(|e| self.store_err(d, "reading a case", e))?;
        let options = porchlight_domain::allowed_next(rec.status);
        // Cases go active more often than anywhere else, so volunteers and poster staff reach them.
        let to = if options.contains(&CaseStatus::Active) && self.rng.chance(0.6) {
            CaseStatus::Active
        } else {
            *self.rng.pick(options)
        };
        let s = self.step;
        let change = StatusChange {
            to,
            reason: format!("confirmed by the investigator s{s}"),
            outcome: (to == CaseStatus::Resolved).then(|| *self.rng.pick(StatusOutcome::ALL)),
        };
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let label = self.case_label(case);
        self.devices[d]
            .ws()
            .change_status(id, &change, now)
            .map_err(|e| self.store_err(d, "changing the status", e))?;
        self.stats.edits += 1;
        self.case_spot = Some((d, case));
        self.log(format!(
            "{} moves {label} {} -> {}{}",
            self.who(d),
            rec.status.code(),
            to.code(),
            if self.devices[d].offline_for > 0 { " (offline)" } else { "" }
        ));
        let code = to.code();
        self.expect(
            d,
            &ids,
            "changing the status",
            vec![Expect::Append {
                entity: Entity::StatusEvent,
                check: Box::new(move |r| r.get("to").and_then(Value::as_str) == Some(code)),
                what: format!("to {code}"),
            }],
        );
        Ok(())
    }

    fn photo(&mut self) -> Res<()> {
        let writers = self.writers();
        let Some((d, case)) = self.pick_case(&writers) else { return Ok(()) };
        let id = CaseId::from_uuid(case);
        let photos = self.devices[d]
            .replica
            .ws
            .case_photos(id)
            .map_err(|e| self.store_err(d, "listing photos", e))?;
        let label = self.case_label(case);
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        let s = self.step;
        if photos.is_empty() || self.rng.chance(0.5) {
            let (w, h) = (self.photo_rng.range(16, 40) as u32, self.photo_rng.range(16, 40) as u32);
            let bytes = photo::png(&mut self.photo_rng, w, h);
            let sha = photo::sha256_hex(&bytes);
            let meta = PhotoMeta {
                kind: Some(PhotoKind::Photo),
                consent_to_publish: self.rng.chance(0.5),
                source: format!("school portrait s{s}"),
                ..Default::default()
            };
            let added = self.devices[d]
                .ws()
                .add_photo_file(id, &bytes, "portrait.png", &meta, now)
                .map_err(|e| self.store_err(d, "adding a photo", e))?;
            self.stats.edits += 1;
            self.record_spot = Some((d, *added.id.as_uuid()));
            self.case_spot = Some((d, case));
            self.log(format!(
                "{} adds photo {} ({}, consent {}) to {label}",
                self.who(d),
                added.id,
                &sha[..12],
                meta.consent_to_publish
            ));
            self.expect(
                d,
                &ids,
                "adding a photo",
                vec![Expect::Set {
                    entity: Entity::Photo,
                    record: *added.id.as_uuid(),
                    fields: vec![("sha256".into(), json!(sha))],
                }],
            );
        } else {
            let p = self.spot_or_pick(d, &photos, |p| *p.id.as_uuid());
            self.record_spot = Some((d, *p.id.as_uuid()));
            self.case_spot = Some((d, case));
            if self.rng.chance(0.5) {
                let mut meta = p.meta.clone();
                meta.consent_to_publish = !meta.consent_to_publish;
                self.devices[d]
                    .ws()
                    .update_photo(p.id, &meta, now)
                    .map_err(|e| self.store_err(d, "editing a photo", e))?;
                self.stats.edits += 1;
                self.log(format!(
                    "{} sets consent of photo {} of {label} to {}",
                    self.who(d),
                    p.id,
                    meta.consent_to_publish
                ));
                self.expect(
                    d,
                    &ids,
                    "editing a photo",
                    vec![Expect::Set {
                        entity: Entity::Photo,
                        record: *p.id.as_uuid(),
                        fields: vec![("consent_to_publish".into(), json!(meta.consent_to_publish))],
                    }],
                );
            } else if !p.is_primary {
                self.devices[d]
                    .ws()
                    .set_primary_photo(p.id, now)
                    .map_err(|e| self.store_err(d, "choosing the primary photo", e))?;
                self.stats.edits += 1;
                self.log(format!("{} makes photo {} primary on {label}", self.who(d), p.id));
                self.expect(
                    d,
                    &ids,
                    "choosing the primary photo",
                    vec![Expect::Set {
                        entity: Entity::Photo,
                        record: *p.id.as_uuid(),
                        fields: vec![("is_primary".into(), json!(true))],
                    }],
                );
            }
        }
        Ok(())
    }

    fn resolve(&mut self) -> Res<()> {
        let writers = self.writers();
        let with: Vec<(usize, porchlight_domain::ConflictView)> = writers
            .iter()
            .flat_map(|d| {
                self.devices[*d]
                    .replica
                    .ws
                    .conflicts(None)
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |c| (*d, c))
            })
            .collect();
        if with.is_empty() {
            return Ok(());
        }
        let (d, c) = self.rng.pick(&with).clone();
        let conflict: Uuid = c.id.parse().map_err(|e| format!("conflict id {:?} is not a uuid: {e}", c.id))?;
        let leaf = c.field.rsplit('.').next().unwrap_or(&c.field).to_owned();
        let editable = c.field != "status" && (EDITABLE_TEXT.contains(&c.field.as_str()) || EDITABLE_TEXT.contains(&leaf.as_str()));
        let n = self.case_numbers.get(c.case_id.as_uuid()).copied().unwrap_or(0);
        let choice = match self.rng.below(if editable { 3 } else { 2 }) {
            0 => ConflictResolution::KeepMine,
            1 => ConflictResolution::KeepTheirs,
            _ => {
                // Only a field a poster never shows may carry the confidential marker.
                let confidential =
                    !porchlight_server::rules::field_visible(porchlight_server::rules::CaseView::Public, &c.field) || c.field == "notes";
                let text = if confidential {
                    format!("{} settled s{}", secret(n), self.step)
                } else {
                    format!("settled s{}", self.step)
                };
                ConflictResolution::Edit {
                    value: Value::String(text).to_string(),
                }
            }
        };
        let ids = self.outbox_ids(d);
        let now = self.devices[d].now();
        self.devices[d]
            .ws()
            .resolve_conflict(&c.id, &choice, now)
            .map_err(|e| self.store_err(d, "resolving a conflict", e))?;
        self.stats.resolved += 1;
        self.stats.edits += 1;
        self.log(format!(
            "{} resolves conflict {conflict} on {} {} with {choice:?}",
            self.who(d),
            self.case_label(*c.case_id.as_uuid()),
            c.field
        ));
        self.expect(d, &ids, "resolving a conflict", vec![Expect::Resolves(conflict)]);
        Ok(())
    }

    // ---- the service's side -----------------------------------------------------------

    fn server_cases(&self) -> Vec<(Uuid, Uuid)> {
        match self.world.access_table() {
            Ok((_, cases)) => cases.into_iter().map(|(id, office, _)| (id, office)).collect(),
            Err(_) => Vec::new(),
        }
    }

    fn access_change(&mut self) -> Res<()> {
        let cases = self.server_cases();
        if cases.is_empty() {
            return Ok(());
        }
        let (case, office) = *self.rng.pick(&cases);
        let label = self.case_label(case);
        let (access, _) = self.world.access_table().map_err(|e| e.to_string())?;
        let roster = &self.world.roster;
        let person_of = |user: Uuid| roster.people.iter().position(|p| p.id == user);
        let shared: Vec<usize> = access
            .iter()
            .filter(|(c, _, assigned)| *c == case && !assigned)
            .filter_map(|(_, u, _)| person_of(*u))
            .collect();
        let assigned: Option<usize> = access
            .iter()
            .find(|(c, _, assigned)| *c == case && *assigned)
            .and_then(|(_, u, _)| person_of(*u));
        self.tick += 1;
        let tick = self.tick;
        match self.rng.below(3) {
            0 => {
                let candidates: Vec<usize> = roster
                    .case_managers(Some(office))
                    .into_iter()
                    .filter(|p| Some(*p) != assigned)
                    .collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                let to = *self.rng.pick(&candidates);
                self.world.assign(case, to).map_err(|e| e.to_string())?;
                self.access.push(AccessChange {
                    tick,
                    case_id: case,
                    user: to,
                    kind: AccessKind::Assign,
                });
                self.log(format!("{label} is assigned to {}", self.world.roster.people[to].username));
            }
            1 => {
                let candidates: Vec<usize> = roster
                    .case_managers(None)
                    .into_iter()
                    .filter(|p| Some(*p) != assigned && !shared.contains(p))
                    .collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                let to = *self.rng.pick(&candidates);
                let by = assigned.unwrap_or(to);
                self.world.share(case, to, by).map_err(|e| e.to_string())?;
                self.access.push(AccessChange {
                    tick,
                    case_id: case,
                    user: to,
                    kind: AccessKind::Share,
                });
                self.log(format!("{label} is shared with {}", self.world.roster.people[to].username));
            }
            _ => {
                if shared.is_empty() {
                    return Ok(());
                }
                let from = *self.rng.pick(&shared);
                if !self.world.unshare(case, from).map_err(|e| e.to_string())? {
                    return Err(format!(
                        "unsharing {label} from {} removed nothing",
                        self.world.roster.people[from].username
                    ));
                }
                self.access.push(AccessChange {
                    tick,
                    case_id: case,
                    user: from,
                    kind: AccessKind::Unshare,
                });
                self.log(format!(
                    "{label} is no longer shared with {}",
                    self.world.roster.people[from].username
                ));
            }
        }
        Ok(())
    }

    /// One edit sent with a stamp two hours ahead of the service's clock, as from a device whose
    /// clock was wrong: the service must refuse it, and its user must see why.
    fn future_stamp(&mut self) {
        let writers: Vec<usize> = self.writers().into_iter().filter(|d| self.devices[*d].offline_for == 0).collect();
        let Some((d, case)) = self.pick_case(&writers) else { return };
        let before: BTreeSet<Uuid> = self.outbox_ids(d);
        if let Err(e) = self.edit_fields_on(d, case) {
            self.finding(e);
            return;
        }
        let new: Vec<Op> = self
            .outbox(d)
            .into_iter()
            .filter(|op| !before.contains(&op.id) && op.entity() == Some(Entity::Case))
            .collect();
        let Some(op) = new.last() else { return };
        let future = Stamp::at(Utc::now() + Duration::hours(2), op.stamp.replica());
        self.devices[d].replica.future = Some((op.id, future));
        self.future_op = Some((d, op.id));
        self.log(format!(
            "{}: op {} will be sent stamped {} (two hours ahead)",
            self.who(d),
            op.id,
            future.time()
        ));
        *self.stats.faults.entry("far-future stamp".into()).or_default() += 1;
        let op_id = op.id;
        let _ = self.sync(d, None);
        self.devices[d].replica.future = None;
        match self.seen.get(&op_id).map(|i| &self.answers[*i].result.outcome) {
            Some(porchlight_sync::Outcome::Rejected {
                code: porchlight_sync::RejectCode::FutureStamp,
                reason,
            }) => {
                if !reason.to_lowercase().contains("clock") {
                    let r = reason.clone();
                    self.finding(format!(
                        "the far-future op {op_id} was refused, but the reason {r:?} does not tell the user to check the clock"
                    ));
                }
            }
            other => {
                let o = format!("{other:?}");
                self.finding(format!(
                    "the op {op_id} stamped two hours ahead of the service was answered {o}, not refused as future_stamp"
                ));
            }
        }
    }

    fn edit_fields_on(&mut self, d: usize, case: Uuid) -> Res<()> {
        let id = CaseId::from_uuid(case);
        let before = self.devices[d]
            .replica
            .ws
            .get_case(id)
            .map_err(|e| self.store_err(d, "reading a case", e))?;
        let field = "description.clothing";
        let Some(fields) = self.new_value(field, &before.fields, case) else {
            return Ok(());
        };
        self.write_case(d, case, before, fields, &[field])
    }
}

/// Whether device `index` works before it first meets the service's clock: Ana's first laptop
/// (always a writer) when its clock runs more than ten minutes ahead, about half the seeds.
fn works_before_first_contact(index: usize, skew: Duration) -> bool {
    index == 0 && skew > Duration::minutes(10)
}

/// A run's trace as one text, for the failure report.
pub fn trace_text(trace: &[String]) -> String {
    let mut out = String::new();
    for line in trace {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// What one seed came to: its numbers, its schedule, and every problem found (none when it passed).
pub struct SeedResult {
    pub stats: Stats,
    pub trace: Vec<String>,
    pub problems: Vec<String>,
}

/// Runs one seed from start to checks.
pub fn run_seed(seed: u64, settings: &Settings, admin: &str) -> SeedResult {
    let t = std::time::Instant::now();
    let mut run = match Run::start(seed, settings.clone(), admin) {
        Ok(r) => r,
        Err(e) => {
            return SeedResult {
                stats: Stats::default(),
                trace: Vec::new(),
                problems: vec![format!("setting up: {e}")],
            }
        }
    };
    run.stats.setup_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let finished = run.play();
    let trace = finished.trace.clone();
    let mut stats = finished.stats.clone();
    stats.play_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let problems = check::check(finished);
    stats.check_secs = t.elapsed().as_secs_f64();
    SeedResult { stats, trace, problems }
}
