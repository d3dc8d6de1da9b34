//! Names, titles and places for generated companies.

use std::collections::HashMap;

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The departments of a generated company.
pub const DEPARTMENTS: [&str; 10] = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Operations",
    "Customer Support",
    "Legal",
    "Product",
    "IT",
];

/// Sites and their countries.
pub const SITES: [(&str, &str); 8] = [
    ("Chicago", "US"),
    ("Austin", "US"),
    ("Toronto", "CA"),
    ("London", "GB"),
    ("Lyon", "FR"),
    ("Berlin", "DE"),
    ("Warsaw", "PL"),
    ("Singapore", "SG"),
];

const FIRST: [&str; 64] = [
    "Ada", "Amir", "Ana", "Ben", "Bea", "Carla", "Chen", "Dana", "Diego", "Elif", "Emma", "Farah",
    "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jade", "Jonas", "Kai", "Keiko", "Lars",
    "Lena", "Leo", "Lucia", "Maya", "Mateo", "Mia", "Nadia", "Noah", "Nora", "Omar", "Olga",
    "Priya", "Paul", "Quinn", "Rahul", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tess", "Theo",
    "Uma", "Victor", "Vera", "Wei", "Will", "Xavier", "Yara", "Yusuf", "Zoe", "Arjun", "Bruno",
    "Clara", "David", "Eva", "Femi", "Gita", "Hiro", "Isla", "Jamal",
];

const LAST: [&str; 64] = [
    "Adams", "Alvarez", "Andersen", "Baker", "Banerjee", "Becker", "Bianchi", "Brown", "Castro",
    "Chen", "Costa", "Dubois", "Duarte", "Edwards", "Eriksson", "Fischer", "Garcia", "Gomez",
    "Hansen", "Hughes", "Ibrahim", "Ito", "Jansen", "Johnson", "Kaur", "Kim", "Kowalski", "Larsen",
    "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen",
    "Patel", "Perez", "Petrov", "Quinn", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith",
    "Suzuki", "Tanaka", "Taylor", "Thomas", "Ueda", "Varga", "Wagner", "Walker", "Wang", "Weber",
    "Wilson", "Wong", "Xu", "Yamada", "Young", "Zhang",
];

const TEAM_WORDS: [&str; 48] = [
    "Atlas", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "Raven", "Summit",
    "Tidal", "Umbra", "Vector", "Willow", "Zenith", "Aurora", "Boreal", "Comet", "Dune", "Echo",
    "Fjord", "Glacier", "Horizon", "Indigo", "Jade", "Kite", "Lotus", "Meridian", "Nova", "Onyx",
    "Prism", "Quill", "Ridge", "Sierra", "Tundra", "Unity", "Vista", "Wave", "Yarrow",
];

/// Unique names and emails.
#[derive(Default)]
pub struct NameGen {
    used: HashMap<String, u32>,
}

impl NameGen {
    pub fn next(&mut self, rng: &mut ChaCha8Rng) -> (String, String) {
        let f = FIRST.choose(rng).copied().unwrap_or("Alex");
        let l = LAST.choose(rng).copied().unwrap_or("Doe");
        (f.to_owned(), l.to_owned())
    }

    /// `first.last@example.com`, numbered from the second of a name on.
    pub fn email(&mut self, first: &str, last: &str) -> String {
        let base = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let n = self.used.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            format!("{base}@example.com")
        } else {
            format!("{base}{n}@example.com")
        }
    }
}

/// Team names unique within a department.
#[derive(Default)]
pub struct TeamNames {
    used: HashMap<(usize, String), u32>,
}

impl TeamNames {
    pub fn next(&mut self, rng: &mut ChaCha8Rng, dept: usize) -> String {
        let word = TEAM_WORDS.choose(rng).copied().unwrap_or("Team");
        let n = self.used.entry((dept, word.to_owned())).or_insert(0);
        *n += 1;
        if *n == 1 {
            word.to_owned()
        } else {
            format!("{word} {n}")
        }
    }
}

/// The noun used in a department's manager titles.
pub fn dept_noun(dept: usize) -> &'static str {
    [
        "Engineering",
        "Sales",
        "Marketing",
        "Finance",
        "HR",
        "Operations",
        "Support",
        "Legal",
        "Product",
        "IT",
    ][dept % 10]
}

/// An individual contributor's title in a department.
pub fn ic_title(dept: usize, rng: &mut ChaCha8Rng) -> &'static str {
    let titles: &[&str] = match dept {
        0 => &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "QA Engineer",
            "Data Engineer",
            "SRE",
        ],
        1 => &[
            "Account Executive",
            "Sales Development Rep",
            "Account Manager",
            "Sales Engineer",
        ],
        2 => &[
            "Marketing Specialist",
            "Content Strategist",
            "Growth Analyst",
            "Designer",
        ],
        3 => &[
            "Financial Analyst",
            "Accountant",
            "Controller",
            "FP&A Analyst",
        ],
        4 => &[
            "HR Business Partner",
            "Recruiter",
            "People Analyst",
            "L&D Specialist",
        ],
        5 => &[
            "Operations Analyst",
            "Supply Chain Planner",
            "Logistics Coordinator",
            "Process Engineer",
        ],
        6 => &[
            "Support Specialist",
            "Senior Support Specialist",
            "Support Engineer",
            "Customer Success Manager",
        ],
        7 => &["Counsel", "Paralegal", "Compliance Analyst"],
        8 => &[
            "Product Manager",
            "Product Designer",
            "UX Researcher",
            "Product Analyst",
        ],
        _ => &[
            "IT Specialist",
            "Systems Administrator",
            "Security Analyst",
            "Service Desk Analyst",
        ],
    };
    let i = rng.random_range(0..titles.len());
    titles[i]
}
