//! The resources Flywheel serves, declared once: the `/Schemas`, `/ResourceTypes` and
//! `/ServiceProviderConfig` documents are rendered from these declarations, and the same
//! declarations drive normalisation, PATCH paths and filters (names are case-insensitive,
//! types are checked, read-only attributes are never taken from a client).

use serde_json::{json, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Complex,
    Reference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
}

/// One attribute of a schema.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    /// Unique across the server (`userName`, a group's `displayName`).
    pub unique: bool,
    pub refs: &'static [&'static str],
    pub canonical: &'static [&'static str],
    pub subs: &'static [Attr],
    pub description: &'static str,
}

const BASE: Attr = Attr {
    name: "",
    ty: Type::String,
    multi: false,
    required: false,
    case_exact: false,
    mutability: Mutability::ReadWrite,
    unique: false,
    refs: &[],
    canonical: &[],
    subs: &[],
    description: "",
};

const fn text(name: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        description,
        ..BASE
    }
}

const NAME_SUBS: &[Attr] = &[
    text("formatted", "The full name, formatted for display."),
    text("familyName", "The family name."),
    text("givenName", "The given name."),
];

const EMAIL_SUBS: &[Attr] = &[
    text("value", "The email address."),
    Attr {
        canonical: &["work", "home", "other"],
        ..text("type", "What the address is for.")
    },
    Attr {
        ty: Type::Boolean,
        ..text(
            "primary",
            "The preferred address (Flywheel's account email).",
        )
    },
];

const GROUPS_SUBS: &[Attr] = &[
    Attr {
        mutability: Mutability::ReadOnly,
        case_exact: true,
        ..text("value", "The group's id.")
    },
    Attr {
        ty: Type::Reference,
        refs: &["Group"],
        mutability: Mutability::ReadOnly,
        case_exact: true,
        ..text("$ref", "The group's URI.")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..text("display", "The group's name.")
    },
];

pub const USER_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        unique: true,
        ..text("userName", "The sign-in name, usually the work email.")
    },
    Attr {
        ty: Type::Complex,
        subs: NAME_SUBS,
        ..text("name", "The person's name.")
    },
    text("displayName", "The name to show."),
    Attr {
        ty: Type::Complex,
        multi: true,
        subs: EMAIL_SUBS,
        ..text(
            "emails",
            "Email addresses; the primary one (else the first) is the account's.",
        )
    },
    Attr {
        ty: Type::Boolean,
        ..text(
            "active",
            "false disables the account: it cannot sign in, and its history stays.",
        )
    },
    Attr {
        ty: Type::Complex,
        multi: true,
        mutability: Mutability::ReadOnly,
        subs: GROUPS_SUBS,
        ..text(
            "groups",
            "The groups the user belongs to (change them on the Group).",
        )
    },
];

const MANAGER_SUBS: &[Attr] = &[
    Attr {
        case_exact: true,
        ..text("value", "The manager's id.")
    },
    Attr {
        ty: Type::Reference,
        refs: &["User"],
        case_exact: true,
        ..text("$ref", "The manager's URI.")
    },
];

pub const ENTERPRISE_ATTRS: &[Attr] = &[
    Attr {
        case_exact: true,
        ..text(
            "employeeNumber",
            "The HRIS id; links the account to the person of the org chart.",
        )
    },
    text("department", "The department."),
    Attr {
        ty: Type::Complex,
        subs: MANAGER_SUBS,
        ..text("manager", "The user's manager.")
    },
];

const MEMBER_SUBS: &[Attr] = &[
    Attr {
        case_exact: true,
        mutability: Mutability::Immutable,
        ..text("value", "The member's id.")
    },
    Attr {
        ty: Type::Reference,
        refs: &["User", "Group"],
        case_exact: true,
        mutability: Mutability::Immutable,
        ..text("$ref", "The member's URI.")
    },
    Attr {
        canonical: &["User", "Group"],
        mutability: Mutability::Immutable,
        ..text("type", "User or Group.")
    },
];

pub const GROUP_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        unique: true,
        ..text(
            "displayName",
            "The group's name; a group named as a role group gives its members that role.",
        )
    },
    Attr {
        ty: Type::Complex,
        multi: true,
        subs: MEMBER_SUBS,
        ..text("members", "The group's members.")
    },
];

/// The two resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "/Users",
            Kind::Group => "/Groups",
        }
    }

    pub fn core(self) -> &'static str {
        match self {
            Kind::User => USER,
            Kind::Group => GROUP,
        }
    }

    pub fn attrs(self) -> &'static [Attr] {
        match self {
            Kind::User => USER_ATTRS,
            Kind::Group => GROUP_ATTRS,
        }
    }

    /// The extension schemas of the kind, with their attributes.
    pub fn extensions(self) -> &'static [(&'static str, &'static [Attr])] {
        match self {
            Kind::User => &[(ENTERPRISE, ENTERPRISE_ATTRS)],
            Kind::Group => &[],
        }
    }

    /// The attribute that names a resource (unique on the server).
    pub fn naming(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

/// The attribute called `name` (case-insensitively) among `attrs`.
pub fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn attr_json(a: &Attr) -> Value {
    let ty = match a.ty {
        Type::String => "string",
        Type::Boolean => "boolean",
        Type::Complex => "complex",
        Type::Reference => "reference",
    };
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
    };
    let mut v = json!({
        "name": a.name,
        "type": ty,
        "multiValued": a.multi,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": if a.unique { "server" } else { "none" },
    });
    if !a.subs.is_empty() {
        v["subAttributes"] = Value::Array(a.subs.iter().map(attr_json).collect());
    }
    if !a.refs.is_empty() {
        v["referenceTypes"] = json!(a.refs);
    }
    if !a.canonical.is_empty() {
        v["canonicalValues"] = json!(a.canonical);
    }
    v
}

/// Every schema, as `/Schemas` lists them, with locations under `base` (`…/scim/v2`).
pub fn schemas(base: &str) -> Vec<Value> {
    [
        (USER, "User", "A person with an account", USER_ATTRS),
        (
            ENTERPRISE,
            "EnterpriseUser",
            "The enterprise extension of a user",
            ENTERPRISE_ATTRS,
        ),
        (
            GROUP,
            "Group",
            "A group; role groups give roles",
            GROUP_ATTRS,
        ),
    ]
    .into_iter()
    .map(|(id, name, description, attrs)| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id,
            "name": name,
            "description": description,
            "attributes": attrs.iter().map(attr_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    })
    .collect()
}

/// Both resource types, as `/ResourceTypes` lists them.
pub fn resource_types(base: &str) -> Vec<Value> {
    [Kind::User, Kind::Group]
        .into_iter()
        .map(|k| {
            let ext: Vec<Value> = k
                .extensions()
                .iter()
                .map(|(urn, _)| json!({"schema": urn, "required": false}))
                .collect();
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": k.name(),
                "name": k.name(),
                "endpoint": k.endpoint(),
                "description": format!("{}s of Flywheel", k.name()),
                "schema": k.core(),
                "schemaExtensions": ext,
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", k.name())},
            })
        })
        .collect()
}

/// What this server supports.
pub fn service_provider_config(base: &str, max_results: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/flywheel-ai/flywheel#sign-in-and-provisioning",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token made with `flywheel auth scim-token create`",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
