//! The closed code lists of a case: NCMEC case types, NCIC categories and descriptors, and the
//! case statuses. Each code is stored and sent as the code itself (the NCIC form's letters), so
//! a case can be keyed into NCIC or NamUs without retyping; labels are for people.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares a closed code list: its serialised codes, a label for each, and the full list.
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal : $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[ts(export)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

code_list! {
    /// The NCMEC case type.
    CaseType {
        EndangeredRunaway = "ERU": "Endangered runaway",
        FamilyAbduction = "FA": "Family abduction",
        NonfamilyAbduction = "NFA": "Nonfamily abduction",
        LostInjuredMissing = "LIM": "Lost, injured or otherwise missing",
        CriticallyMissingYoungAdult = "CMYA": "Critically missing young adult (18–20)",
    }
}

code_list! {
    /// The NCIC Missing Person File category.
    NcicCategory {
        Disability = "EMD": "EMD — disability",
        Endangered = "EME": "EME — endangered",
        Involuntary = "EMI": "EMI — involuntary",
        Juvenile = "EMJ": "EMJ — juvenile",
        CatastropheVictim = "EMV": "EMV — catastrophe victim",
        Other = "EMO": "EMO — other",
    }
}

code_list! {
    /// Sex as recorded on the NCIC entry.
    Sex {
        Male = "M": "Male",
        Female = "F": "Female",
        Unknown = "X": "Unknown / other",
    }
}

code_list! {
    /// NCIC race code. Hispanic or Latino ethnicity is recorded separately.
    Race {
        AsianPacificIslander = "A": "Asian / Pacific Islander",
        Black = "B": "Black",
        AmericanIndianAlaskaNative = "I": "American Indian / Alaska Native",
        White = "W": "White",
        Unknown = "U": "Unknown",
    }
}

code_list! {
    /// NCIC hair colour (HAI).
    HairColor {
        Black = "BLK": "Black",
        Blond = "BLN": "Blond or strawberry",
        Brown = "BRO": "Brown",
        Gray = "GRY": "Gray or partially gray",
        Red = "RED": "Red or auburn",
        Sandy = "SDY": "Sandy",
        White = "WHT": "White",
        Blue = "BLU": "Blue",
        Green = "GRN": "Green",
        Orange = "ONG": "Orange",
        Purple = "PLE": "Purple",
        Pink = "PNK": "Pink",
        Unknown = "XXX": "Unknown or completely bald",
    }
}

code_list! {
    /// NCIC eye colour (EYE).
    EyeColor {
        Black = "BLK": "Black",
        Blue = "BLU": "Blue",
        Brown = "BRO": "Brown",
        Gray = "GRY": "Gray",
        Green = "GRN": "Green",
        Hazel = "HAZ": "Hazel",
        Maroon = "MAR": "Maroon",
        Multicolored = "MUL": "Multicolored",
        Pink = "PNK": "Pink",
        Unknown = "XXX": "Unknown",
    }
}

code_list! {
    /// NCIC skin tone (SKN).
    SkinTone {
        Albino = "ALB": "Albino",
        Black = "BLK": "Black",
        DarkBrown = "DBR": "Dark brown",
        Dark = "DRK": "Dark",
        Fair = "FAR": "Fair",
        LightBrown = "LBR": "Light brown",
        Light = "LGT": "Light",
        MediumBrown = "MBR": "Medium brown",
        Medium = "MED": "Medium",
        Olive = "OLV": "Olive",
        Ruddy = "RUD": "Ruddy",
        Sallow = "SAL": "Sallow",
        Yellow = "YEL": "Yellow",
    }
}

code_list! {
    /// Where a case stands. The current status is derived from the status history.
    CaseStatus {
        Intake = "intake": "Intake",
        Active = "active": "Active",
        LocatedAlive = "located_alive": "Located (alive)",
        LocatedDeceased = "located_deceased": "Located (deceased)",
        Recovered = "recovered": "Recovered",
        Resolved = "resolved": "Resolved",
        Closed = "closed": "Closed",
    }
}

/// Renders every code list as a TypeScript module, so the UI's pick lists come from these
/// definitions instead of a hand-kept copy.
pub fn typescript_module() -> String {
    fn list<T: Copy>(out: &mut String, name: &str, ty: &str, all: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str) {
        out.push_str(&format!("export const {name}: ReadonlyArray<{{ code: {ty}; label: string }}> = [\n"));
        for &item in all {
            out.push_str(&format!(
                "  {{ code: {}, label: {} }},\n",
                serde_json::to_string(code(item)).unwrap(),
                serde_json::to_string(label(item)).unwrap()
            ));
        }
        out.push_str("];\n\n");
    }
    let mut out = String::from(
        "// Generated by `cargo test -p porchlight-domain` from crates/porchlight-domain/src/codes.rs and values.rs. Do not edit.\n",
    );
    for ty in ["CaseStatus", "CaseType", "EyeColor", "HairColor", "NcicCategory", "NoteCategory", "Outcome", "Race", "Relationship", "Sex", "SkinTone"] {
        out.push_str(&format!("import type {{ {ty} }} from \"./bindings/{ty}\";\n"));
    }
    out.push('\n');
    list(&mut out, "CASE_TYPES", "CaseType", CaseType::ALL, CaseType::code, CaseType::label);
    list(&mut out, "NCIC_CATEGORIES", "NcicCategory", NcicCategory::ALL, NcicCategory::code, NcicCategory::label);
    list(&mut out, "SEXES", "Sex", Sex::ALL, Sex::code, Sex::label);
    list(&mut out, "RACES", "Race", Race::ALL, Race::code, Race::label);
    list(&mut out, "HAIR_COLORS", "HairColor", HairColor::ALL, HairColor::code, HairColor::label);
    list(&mut out, "EYE_COLORS", "EyeColor", EyeColor::ALL, EyeColor::code, EyeColor::label);
    list(&mut out, "SKIN_TONES", "SkinTone", SkinTone::ALL, SkinTone::code, SkinTone::label);
    list(&mut out, "CASE_STATUSES", "CaseStatus", CaseStatus::ALL, CaseStatus::code, CaseStatus::label);
    let simple = |out: &mut String, name: &str, ty: &str, items: Vec<(String, &str)>| {
        out.push_str(&format!("export const {name}: ReadonlyArray<{{ code: {ty}; label: string }}> = [\n"));
        for (code, label) in items {
            out.push_str(&format!("  {{ code: {code}, label: {} }},\n", serde_json::to_string(label).unwrap()));
        }
        out.push_str("];\n\n");
    };
    let json = |v: &dyn erased::Json| v.json();
    simple(&mut out, "RELATIONSHIPS", "Relationship", crate::contact::Relationship::ALL.iter().map(|r| (json(r), r.label())).collect());
    simple(&mut out, "NOTE_CATEGORIES", "NoteCategory", crate::note::NoteCategory::ALL.iter().map(|c| (json(c), c.label())).collect());
    simple(&mut out, "OUTCOMES", "Outcome", crate::status::Outcome::ALL.iter().map(|o| (json(o), o.label())).collect());
    out.push_str("/** The statuses a case may move to from each status. */\nexport const STATUS_NEXT: Readonly<Record<CaseStatus, ReadonlyArray<CaseStatus>>> = {\n");
    for &from in CaseStatus::ALL {
        let next: Vec<String> = crate::status::allowed_next(from).iter().map(|s| format!("\"{}\"", s.code())).collect();
        out.push_str(&format!("  {}: [{}],\n", from.code(), next.join(", ")));
    }
    out.push_str("};\n\n");
    out.push_str("export const US_STATES: ReadonlyArray<{ code: string; label: string }> = [\n");
    for (code, name) in crate::values::US_STATES {
        out.push_str(&format!("  {{ code: \"{code}\", label: {} }},\n", serde_json::to_string(name).unwrap()));
    }
    out.push_str("];\n");
    out
}

mod erased {
    /// Serialises any wire enum to its JSON literal, for the generated TypeScript lists.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("wire enums serialise")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_serde_and_from_code() {
        fn check<T>(all: &[T], code: fn(T) -> &'static str, from: fn(&str) -> Option<T>)
        where
            T: Copy + PartialEq + std::fmt::Debug + Serialize + for<'de> Deserialize<'de>,
        {
            for &item in all {
                let json = serde_json::to_string(&item).unwrap();
                assert_eq!(json, format!("\"{}\"", code(item)));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), item);
                assert_eq!(from(code(item)), Some(item));
            }
        }
        check(CaseType::ALL, CaseType::code, CaseType::from_code);
        check(NcicCategory::ALL, NcicCategory::code, NcicCategory::from_code);
        check(Sex::ALL, Sex::code, Sex::from_code);
        check(Race::ALL, Race::code, Race::from_code);
        check(HairColor::ALL, HairColor::code, HairColor::from_code);
        check(EyeColor::ALL, EyeColor::code, EyeColor::from_code);
        check(SkinTone::ALL, SkinTone::code, SkinTone::from_code);
        check(CaseStatus::ALL, CaseStatus::code, CaseStatus::from_code);
    }

    #[test]
    fn codes_outside_the_lists_are_refused() {
        for bad in ["\"brn\"", "\"BROWN\"", "\"\"", "\"ZZZ\""] {
            assert!(serde_json::from_str::<HairColor>(bad).is_err(), "{bad} accepted");
        }
        assert!(serde_json::from_str::<EyeColor>("\"LBR\"").is_err());
        assert!(serde_json::from_str::<SkinTone>("\"BRO\"").is_err());
        assert_eq!(Race::from_code("H"), None, "Hispanic is an ethnicity, not an NCIC race code");
    }

    #[test]
    fn the_ncic_lists_are_complete() {
        assert_eq!(HairColor::ALL.len(), 13);
        assert_eq!(EyeColor::ALL.len(), 10);
        assert_eq!(SkinTone::ALL.len(), 13);
        assert_eq!(CaseType::ALL.len(), 5);
        assert_eq!(NcicCategory::ALL.len(), 6);
    }
}
