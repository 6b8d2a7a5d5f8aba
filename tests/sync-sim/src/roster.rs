//! The invented organisation of one run: offices in regions, and people with roles. It only
//! describes them; `world` creates them on the service.

use porchlight_server::people::Role;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Office {
    pub id: Uuid,
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office: Option<Uuid>,
    /// For supervisors: the TOTP secret their logins need.
    pub totp: Option<Vec<u8>>,
}

impl Person {
    pub fn synthetic(id: Uuid, username: &str, role: Role, office: Option<Uuid>) -> Person {
        Person {
            id,
            username: username.into(),
            display_name: format!("Sim {username}"),
            role,
            office,
            totp: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub offices: Vec<Office>,
    pub people: Vec<Person>,
}

impl Roster {
    pub fn region_of(&self, office: Option<Uuid>) -> Option<&str> {
        let office = office?;
        self.offices.iter().find(|o| o.id == office).map(|o| o.region.as_str())
    }

    pub fn office_name(&self, office: Option<Uuid>) -> &str {
        office
            .and_then(|id| self.offices.iter().find(|o| o.id == id))
            .map_or("no office", |o| o.name.as_str())
    }

    /// Case managers of `office` (any office when `None`), by index.
    pub fn case_managers(&self, office: Option<Uuid>) -> Vec<usize> {
        self.people
            .iter()
            .enumerate()
            .filter(|(_, p)| p.role == Role::CaseManager && (office.is_none() || p.office == office))
            .map(|(i, _)| i)
            .collect()
    }
}
