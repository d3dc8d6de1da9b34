//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`.
//!
//! Written by hand rather than derived: the response types live in `store`, `policy` and
//! `insights`, which know no wire formats, and deriving schemas there would pull an
//! OpenAPI crate into every one of them. Drift is caught by tests instead: every path and
//! method here answers on the server, every `/api/v1` route of the router is here, and the
//! integration tests validate real responses against these schemas.

use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use crate::error::ErrorCode;

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn int() -> Value {
    json!({ "type": "integer" })
}

fn num() -> Value {
    json!({ "type": "number" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

/// An object schema; every listed property is required (`null` is spelled out in the
/// property's type where it may be).
fn object(props: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_owned(), v.clone());
    }
    json!({
        "type": "object",
        "properties": p,
        "required": props.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
    })
}

/// The page envelope of every list.
fn page_of(item: &str) -> Value {
    object(&[
        ("items", json!({ "type": "array", "items": r(item) })),
        ("page", int()),
        ("per_page", int()),
        ("total", int()),
        ("next_page", nullable("integer")),
    ])
}

fn param(name: &str, place: &str, required: bool, schema: Value, about: &str) -> Value {
    json!({ "name": name, "in": place, "required": required, "schema": schema, "description": about })
}

fn paging() -> Vec<Value> {
    vec![
        param(
            "page",
            "query",
            false,
            json!({"type": "integer", "minimum": 1}),
            "Page number, from 1.",
        ),
        param(
            "per_page",
            "query",
            false,
            json!({"type": "integer", "minimum": 1, "maximum": 500}),
            "Items per page (default 50).",
        ),
    ]
}

/// One operation: who may call it, its parameters and body, and its success response.
struct Op {
    summary: &'static str,
    who: &'static str,
    params: Vec<Value>,
    body: Option<Value>,
    status: &'static str,
    response: Value,
    errors: &'static [&'static str],
}

impl Op {
    fn json(self) -> Value {
        let mut responses = Map::new();
        responses.insert(
            self.status.to_owned(),
            json!({ "description": "Success.", "content": { "application/json": { "schema": self.response } } }),
        );
        // Every operation may meet an unavailable database, and every write a full one.
        let storage: &[&str] = if self.body.is_some() {
            &["503", "507"]
        } else {
            &["503"]
        };
        for e in self.errors.iter().chain(storage) {
            responses.insert(
                (*e).to_owned(),
                json!({ "description": "An error; see /api/v1/errors.", "content": { "application/json": { "schema": r("Error") } } }),
            );
        }
        let mut op = json!({
            "summary": self.summary,
            "description": format!("Who: {}.", self.who),
            "parameters": self.params,
            "responses": responses,
        });
        if let Some(b) = self.body {
            op["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": b } } });
        }
        op
    }
}

const READ: &[&str] = &["400", "401", "429"];
const WRITE: &[&str] = &["400", "401", "403", "409", "413", "429"];

fn get(summary: &'static str, who: &'static str, params: Vec<Value>, response: Value) -> Op {
    Op {
        summary,
        who,
        params,
        body: None,
        status: "200",
        response,
        errors: READ,
    }
}

fn write(
    summary: &'static str,
    who: &'static str,
    params: Vec<Value>,
    body: Value,
    status: &'static str,
    response: Value,
) -> Op {
    Op {
        summary,
        who,
        params,
        body: Some(body),
        status,
        response,
        errors: WRITE,
    }
}

fn id() -> Value {
    param("id", "path", true, int(), "The object's id.")
}

#[allow(clippy::too_many_lines)] // the hand-written OpenAPI document, to be generated from the wire types (issue 17)
fn schemas() -> Value {
    let error_codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
    json!({
        "Error": object(&[
            ("message", string()),
            ("code", json!({ "type": "string", "enum": error_codes })),
            ("type", json!({ "type": "string", "enum": ["invalid_request", "auth", "rate_limit", "internal"] })),
            ("link", string()),
        ]),
        "Me": object(&[
            ("id", int()),
            ("email", string()),
            ("role", json!({ "type": "string", "enum": ["employee", "champion", "admin", "viewer"] })),
            ("person", json!({ "type": ["object", "null"] })),
            ("csrf_token", nullable("string")),
        ]),
        "Verification": object(&[
            ("valid", boolean()),
            ("format", json!({"type": "string", "enum": ["data-integrity", "vc-jwt"]})),
            ("credential_id", nullable("string")), ("issuer", nullable("string")), ("issuer_name", nullable("string")),
            ("achievement", nullable("string")), ("valid_from", nullable("string")), ("valid_until", nullable("string")),
            ("checks", json!({"type": "array", "items": object(&[
                ("check", json!({"type": "string", "enum": ["format", "signature", "issuer", "validity", "revocation"]})),
                ("outcome", json!({"type": "string", "enum": ["passed", "failed", "skipped"]})),
                ("detail", string()),
            ])})),
        ]),
        "Health": object(&[("status", string()), ("backend", string()), ("schema_version", int())]),
        "Award": object(&[
            ("uuid", string()), ("badge", string()), ("badge_name", string()), ("tier", nullable("string")),
            ("issued_at", string()), ("valid_until", nullable("string")),
            ("state", json!({"type": "string", "enum": ["active", "revoked", "expired"]})),
            ("revoke_reason", nullable("string")), ("win_id", nullable("integer")), ("on_profile", boolean()),
            ("share_url", nullable("string")),
        ]),
        "Progress": object(&[("enrolled_at", string()), ("completed_at", nullable("string")), ("done", json!({"type": "array", "items": int()}))]),
        "Course": object(&[
            ("slug", string()), ("title", string()), ("summary", string()), ("modules", int()), ("minutes", int()),
            ("enrolled", nullable("integer")), ("completed", nullable("integer")),
            ("progress", json!({"anyOf": [r("Progress"), {"type": "null"}]})),
        ]),
        "CourseDetail": {
            "allOf": [r("Course"), object(&[
                ("contents", json!({"type": "array", "items": object(&[
                    ("position", int()), ("title", string()), ("minutes", int()), ("body", string()), ("link", nullable("string")),
                ])})),
                ("by_department", json!({"type": "array", "items": object(&[
                    ("department", string()), ("enrolled", nullable("integer")), ("completed", nullable("integer")), ("rate", nullable("number")),
                ])})),
                ("badges", strings()),
            ])],
        },
        "Campaign": object(&[
            ("slug", string()), ("name", string()), ("ends_on", nullable("string")), ("ended_at", nullable("string")),
            ("end_mode", json!({"type": ["string", "null"], "enum": ["revoke", "expire", null]})),
        ]),
        "BadgeClass": object(&[
            ("slug", string()), ("name", string()), ("description", string()), ("tier", nullable("string")),
            ("criteria", string()), ("courses", strings()), ("wins", int()), ("requires", strings()),
            ("valid_days", nullable("integer")), ("campaign", json!({"anyOf": [r("Campaign"), {"type": "null"}]})),
            ("holders", nullable("integer")),
        ]),
        "Badges": object(&[
            ("classes", json!({"type": "array", "items": r("BadgeClass")})),
            ("by_department", json!({"type": "array", "items": object(&[("department", string()), ("badge", string()), ("holders", nullable("integer"))])})),
            ("campaigns", json!({"type": "array", "items": r("Campaign")})),
            ("min_group_size", int()),
        ]),
        "MyBadges": object(&[
            ("awards", json!({"type": "array", "items": r("Award")})),
            ("next", json!({"type": "array", "items": object(&[("badge", string()), ("name", string()), ("tier", nullable("string")), ("missing", strings())])})),
        ]),
        "Holder": object(&[
            ("uuid", string()), ("holder", string()), ("email", string()), ("department", string()), ("issued_at", string()),
            ("valid_until", nullable("string")), ("state", json!({"type": "string", "enum": ["active", "revoked", "expired"]})),
            ("revoked_at", nullable("string")), ("revoke_reason", nullable("string")), ("win_id", nullable("integer")),
        ]),
        "Person": object(&[
            ("id", int()), ("hris_id", nullable("string")), ("display_name", string()), ("email", nullable("string")),
            ("title", nullable("string")), ("unit_id", nullable("integer")), ("unit", nullable("string")),
            ("site_id", nullable("integer")), ("site", nullable("string")), ("manager_id", nullable("integer")),
            ("manager_issue", nullable("string")), ("hire_date", nullable("string")), ("left_on", nullable("string")),
        ]),
        "OrgSummary": object(&[
            ("people", int()), ("departed", int()), ("units", int()), ("sites", int()), ("without_unit", int()),
            ("flagged_manager_links", int()),
            ("by_department", json!({ "type": "array", "items": object(&[("name", string()), ("people", int())]) })),
            ("min_group_size", int()), ("suppressed_units", int()),
        ]),
        "Tool": object(&[
            ("name", string()), ("category", string()), ("description", string()), ("access_url", string()),
            ("how_to", strings()), ("purposes", strings()), ("data_classes", strings()), ("alternatives", strings()),
            ("approved", boolean()),
        ]),
        "ToolIn": {
            "type": "object",
            "properties": {
                "name": string(), "category": string(), "description": string(), "access_url": string(),
                "how_to": strings(), "purposes": strings(), "data_classes": strings(), "alternatives": strings(),
                "approved": boolean(),
            },
            "required": ["name", "category"],
            "additionalProperties": false,
        },
        "Answer": object(&[
            ("allowed", boolean()), ("tool", string()), ("purpose", string()), ("data_class", string()),
            ("reasons", strings()), ("policies", strings()), ("how_to", strings()), ("access_url", string()),
            ("alternatives", json!({ "type": "array", "items": object(&[
                ("tool", string()), ("description", string()), ("access_url", string()), ("how_to", strings()),
            ]) })),
            ("policy_version", nullable("integer")),
        ]),
        "Policies": object(&[
            ("version", nullable("integer")), ("text", string()), ("schema", string()),
            ("policies", json!({ "type": "array", "items": object(&[
                ("id", string()), ("effect", json!({"type": "string", "enum": ["permit", "forbid"]})), ("reason", nullable("string")),
            ]) })),
        ]),
        "Win": object(&[
            ("id", int()), ("title", string()), ("what", string()), ("tool", nullable("string")), ("author", string()),
            ("department", string()), ("minutes_before", int()), ("minutes_after", int()),
            ("frequency", json!({"type": "string", "enum": ["once", "daily", "weekly", "monthly"]})),
            ("time_stated", json!({"type": "string", "enum": ["before_after", "saved", "unknown"],
                "description": "before_after: both figures stated; saved: only the saving (in minutes_before, minutes_after 0); unknown: no time stated (the minutes are 0 and mean nothing)"})),
            ("minutes_saved_per_month", nullable("number")), ("created_at", string()), ("tried_too", int()),
            ("use_case_id", nullable("integer")),
            ("source", json!({"type": "string", "enum": ["web", "slack"], "description": "web: posted on Flywheel; slack: a post in a wins channel"})),
            ("link", nullable("string")), ("reactions", int()),
        ]),
        "DepartmentCount": object(&[("department", string()), ("count", nullable("integer"))]),
        "WinDetail": {
            "allOf": [r("Win"), object(&[
                ("tried_by_department", json!({ "type": "array", "items": r("DepartmentCount") })),
                ("verifications", json!({ "type": "array", "items": object(&[
                    ("as_role", json!({"type": "string", "enum": ["champion", "peer"]})), ("evidence", string()), ("at", string()),
                ]) })),
            ])],
        },
        "UseCase": object(&[
            ("id", int()), ("title", string()), ("summary", string()), ("steps", strings()), ("tools", strings()),
            ("from_win", nullable("integer")), ("departments", json!({ "type": "array", "items": r("DepartmentCount") })),
            ("created_at", string()),
        ]),
        "Digest": object(&[
            ("from", string()), ("to", string()), ("wins_posted", int()),
            ("top_wins", json!({ "type": "array", "items": r("Win") })),
            ("most_tried", json!({ "type": "array", "items": r("Win") })),
            ("new_use_cases", json!({ "type": "array", "items": r("UseCase") })),
            ("top_questions", json!({ "type": "array", "items": object(&[
                ("tool", string()), ("purpose", string()), ("data_class", string()), ("allowed", boolean()), ("questions", int()),
            ]) })),
            ("champions_listed", int()),
            ("badges_awarded", json!({ "type": "array", "items": object(&[("badge", string()), ("awarded", nullable("integer"))]) })),
            ("badges_shown", json!({ "type": "array", "items": object(&[("holder", string()), ("badge", string()), ("share_url", nullable("string"))]) })),
        ]),
        "Champion": object(&[
            ("person_id", int()), ("name", string()), ("department", string()), ("unit", string()), ("site", string()),
            ("status", json!({"type": "string", "enum": ["volunteer", "active"]})), ("bio", string()), ("tools", strings()),
            ("office_hours", string()),
        ]),
        "AccessRequest": object(&[
            ("id", int()), ("person_id", int()), ("person", string()), ("tool", nullable("string")), ("reason", string()),
            ("state", json!({"type": "string", "enum": ["open", "granted", "denied", "withdrawn"]})),
            ("requested_at", string()), ("decided_at", nullable("string")), ("decided_by", nullable("string")),
            ("decision_note", string()), ("clock_hours", num()), ("overdue", boolean()), ("reminders", int()),
        ]),
        "AccessClock": object(&[
            ("target_hours", num()), ("open", int()), ("overdue", int()), ("decided", int()), ("granted", int()),
            ("median_hours_to_decision", nullable("number")), ("p90_hours_to_decision", nullable("number")),
            ("share_within_target", nullable("number")), ("used_after_grant", int()),
            ("median_days_grant_to_first_use", nullable("number")), ("share_used_same_day", nullable("number")),
        ]),
        "Incident": object(&[
            ("id", int()), ("tool", nullable("string")), ("data_class", string()),
            ("severity", json!({"type": "string", "enum": ["low", "medium", "high", "critical"]})), ("what", string()),
            ("state", json!({"type": "string", "enum": ["reported", "triaged", "contained", "resolved"]})),
            ("reported_at", string()), ("intervened_at", nullable("string")), ("resolved_at", nullable("string")),
            ("hours_to_intervene", nullable("number")), ("reported_by", nullable("string")),
            ("guardrail_version", nullable("integer")), ("guardrail_note", string()),
        ]),
        "Part": {
            "type": "object",
            "description": "A part of the dashboard: `value` (see docs/METRICS.md for its fields), or `unavailable` with the reason.",
            "properties": { "value": { "type": "object" }, "unavailable": string() },
        },
        "Dashboard": object(&[
            ("computed_at", string()), ("people", int()), ("min_group_size", int()),
            ("stages", r("Part")), ("momentum", r("Part")), ("forecast", r("Part")), ("waves", r("Part")),
            ("champion_plan", r("Part")),
        ]),
    })
}

fn body(props: &[(&str, Value)], required: &[&str]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_owned(), v.clone());
    }
    json!({ "type": "object", "properties": p, "required": required, "additionalProperties": false })
}

/// Courses, win verification and badges (a separate literal: one `json!` this size would
/// pass the macro recursion limit).
fn learning_paths() -> Value {
    let any = "any role";
    let admin = "admins";
    let doer = "every role but viewer";
    let course = || param("course", "path", true, string(), "The course's slug.");
    let badge = || param("badge", "path", true, string(), "The badge's slug.");
    let uuid = || {
        param(
            "uuid",
            "path",
            true,
            string(),
            "The award's id (urn:uuid:…).",
        )
    };
    let not_found_read: &[&str] = &["401", "404", "429"];
    let not_found_write: &[&str] = &["400", "401", "403", "404", "409", "413", "429"];
    json!({
        "/api/v1/courses": { "get": get("Courses with your progress (org-wide counts below the minimum group size are null)", any, vec![], json!({"type": "array", "items": r("Course")})).json() },
        "/api/v1/courses/{course}": { "get": Op { errors: not_found_read, ..get("A course: its modules, your progress, completion by department (withheld below the minimum group size)", any, vec![course()], r("CourseDetail")) }.json() },
        "/api/v1/courses/{course}/enrol": { "post": Op { body: None, errors: not_found_write, ..write("Enrol (again changes nothing)", doer, vec![course()], json!({}), "200", object(&[("enrolled", boolean())])) }.json() },
        "/api/v1/courses/{course}/modules/{position}/complete": { "post": Op { body: None, errors: not_found_write, ..write("Mark a module done (enrolling first); completing the course awards the badges it earns", doer,
            vec![course(), param("position", "path", true, json!({"type": "integer", "minimum": 1}), "The module's position, from 1.")], json!({}), "200",
            object(&[("course_completed", boolean()), ("awarded", json!({"type": "array", "items": r("Award")}))])) }.json() },
        "/api/v1/wins/{id}/verify": { "post": Op { errors: &["400", "401", "403", "404", "409", "413", "415", "429"], ..write("Verify a colleague's win with the evidence you saw (never your own); awards its author the badges this earns", doer, vec![id()],
            body(&[("evidence", json!({"type": "string", "minLength": 1, "maxLength": 2000}))], &["evidence"]), "200",
            object(&[("as_role", json!({"type": "string", "enum": ["champion", "peer"]})), ("badges_awarded", strings())])) }.json() },
        "/api/v1/badges": { "get": get("Every badge class with its holders, and holders per department (withheld below the minimum group size)", any, vec![], r("Badges")).json() },
        "/api/v1/badges/{badge}/holders": { "get": Op { errors: &["400", "401", "403", "404", "429"], ..get("Who holds (and held) a badge, revoked and ended awards included (individual-level; audited); format=csv for a spreadsheet-safe CSV", admin, vec![badge(),
            param("format", "query", false, json!({"type": "string", "enum": ["json", "csv"]}), "json (default) or csv.")], json!({"type": "array", "items": r("Holder")})) }.json() },
        "/api/v1/me/badges": { "get": get("Your badges, with their history, and what you can earn next", any, vec![], r("MyBadges")).json() },
        "/api/v1/me/badges/claim": { "post": Op { body: None, ..write("Award yourself every badge you have earned and do not hold", doer, vec![], json!({}), "200", object(&[("awarded", json!({"type": "array", "items": r("Award")}))])) }.json() },
        "/api/v1/me/badges/{uuid}/credential": { "get": Op { errors: &["400", "401", "404", "429"], ..get("Your signed credential: an Open Badges 3.0 OpenBadgeCredential with an eddsa-rdfc-2022 proof (application/vc+ld+json), or format=jwt for the VC-JWT (application/vc+jwt)", any, vec![uuid(),
            param("format", "query", false, json!({"type": "string", "enum": ["json", "jwt"]}), "json (default) or jwt.")], json!({"type": "object"})) }.json() },
        "/api/v1/me/badges/{uuid}/profile": { "put": Op { errors: not_found_write, ..write("Show a badge on your profile (with a public share link) or hide it (the link stops working)", doer, vec![uuid()],
            body(&[("show", boolean())], &["show"]), "200", r("Award")) }.json() },
        "/api/v1/awards/{uuid}/revoke": { "post": Op { errors: not_found_write, ..write("Revoke an award: its status-list bit is set, the award and why stay in the history (audited)", admin, vec![uuid()],
            body(&[("reason", json!({"type": "string", "minLength": 1}))], &["reason"]), "200", object(&[("revoked", boolean())])) }.json() },
        "/api/v1/campaigns/{campaign}/end": { "post": Op { errors: not_found_write, ..write("End a campaign: revoke or expire all its current awards in one action, keeping the history (audited)", admin,
            vec![param("campaign", "path", true, string(), "The campaign's slug.")],
            body(&[("mode", json!({"type": "string", "enum": ["revoke", "expire"]}))], &["mode"]), "200", object(&[("awards", int())])) }.json() },
    })
}

/// The operations of access requests and incidents.
fn requests_paths() -> Value {
    let any = "any role";
    let admin = "admins";
    let writer = "every role but viewer, with an account linked to a person";
    json!({
        "/api/v1/access-requests": {
            "get": get("Access requests: all for admins (audited), your own otherwise", any, {
                let mut p = paging();
                p.push(param("state", "query", false, json!({"type": "string", "enum": ["open", "granted", "denied", "withdrawn"]}), "Only this state."));
                p
            }, page_of("AccessRequest")).json(),
            "post": write("Request access to a catalog tool", writer, vec![], body(&[("tool", string()), ("reason", string())], &["tool"]), "201", r("AccessRequest")).json(),
        },
        "/api/v1/access-requests/clock": { "get": get("The response clock", any, vec![], r("AccessClock")).json() },
        "/api/v1/access-requests/{id}/decision": { "post": write("Grant or deny (admins), or withdraw (the requester)", "admins; the requester to withdraw", vec![id()],
            body(&[("decision", json!({"type": "string", "enum": ["granted", "denied", "withdrawn"]})), ("note", string())], &["decision"]),
            "200", r("AccessRequest")).json() },
        "/api/v1/incidents": {
            "get": get("Incidents: all for admins, your reports otherwise", any, paging(), page_of("Incident")).json(),
            "post": write("Report an incident", "every role but viewer", vec![], body(&[
                ("tool", nullable("string")), ("data_class", string()),
                ("severity", json!({"type": "string", "enum": ["low", "medium", "high", "critical"]})), ("what", string()),
            ], &["data_class", "severity", "what"]), "201", r("Incident")).json(),
        },
        "/api/v1/incidents/{id}/triage": { "post": write("Move an incident forward in triage", admin, vec![id()],
            body(&[("state", json!({"type": "string", "enum": ["triaged", "contained", "resolved"]}))], &["state"]), "200", r("Incident")).json() },
        "/api/v1/incidents/{id}/guardrail": { "post": write("Link the policy version an incident led to", admin, vec![id()],
            body(&[("policy_version", int()), ("note", string())], &["policy_version"]), "200", r("Incident")).json() },
    })
}

/// The whole document.
pub fn document() -> Value {
    let any = "any role";
    let admin = "admins";
    let writer = "every role but viewer, with an account linked to a person";
    let mut paths = json!({
        "/healthz": { "get": Op { errors: &[], ..get("Health and schema version", "anyone", vec![], r("Health")) }.json() },
        "/api/v1/me": { "get": get("The calling account", any, vec![], r("Me")).json() },
        "/api/v1/people": { "get": get("People, paged and filtered (individual-level; audited)", admin, {
            let mut p = paging();
            p.push(param("unit", "query", false, int(), "A unit id; its sub-units are included."));
            p.push(param("site", "query", false, int(), "A site id."));
            p.push(param("include_departed", "query", false, boolean(), "Include people who left."));
            p.push(param("after", "query", false, int(), "Keyset paging: people with ids after this one (`next_after` of the previous page); `page` is then ignored and the cost is the same at any depth."));
            p
        }, json!({ "allOf": [page_of("Person"), object(&[("next_after", nullable("integer"))])] })).json() },
        "/api/v1/org/summary": { "get": Op { errors: &[], ..get("Headcounts with small units merged", "anyone", vec![], r("OrgSummary")) }.json() },
        "/api/v1/issuer": { "get": Op { errors: &["429"], ..get("This Flywheel's badge issuer: an Open Badges Profile whose id is a did:key, with its Multikey", "anyone", vec![], json!({"type": "object"})) }.json() },
        "/api/v1/credentials/verify": { "post": Op { errors: &["400", "413", "429"], ..write("Verify an Open Badges 3.0 credential (JSON with an eddsa-rdfc-2022 proof, {\"credential\": …}, or a VC-JWT as text/plain): signature, issuer, validity and revocation, each with its outcome", "anyone", vec![], json!({"type": "object"}), "200", r("Verification")) }.json() },
        "/api/v1/credentials/status/{id}": { "get": Op { errors: &["404", "429"], ..get("Revocation status list number id: a signed BitstringStatusListCredential", "anyone", vec![id()], json!({"type": "object"})) }.json() },
        "/api/v1/dashboard": { "get": get("The dashboard's numbers", any, vec![], r("Dashboard")).json() },
        "/api/v1/can-i": { "get": get("\"Can I use this tool for this purpose with this data?\" (logged as demand)", any, vec![
            param("tool", "query", true, string(), "A catalog tool's name (case-insensitive)."),
            param("purpose", "query", true, string(), "What for, e.g. summarising."),
            param("data", "query", true, json!({"type": "string", "enum": ["public", "internal", "confidential", "personal", "restricted"]}), "The class of data."),
        ], r("Answer")).json() },
        "/api/v1/tools": { "get": get("The tools catalog", any, paging(), page_of("Tool")).json() },
        "/api/v1/tools/{name}": { "put": write("Add or replace a catalog entry", admin,
            vec![param("name", "path", true, string(), "The tool's name.")], r("ToolIn"), "200",
            object(&[("name", string()), ("changed", boolean())])).json() },
        "/api/v1/policies": {
            "get": get("The Cedar policies in force, with the schema", any, vec![], r("Policies")).json(),
            "put": Op { errors: &["400", "401", "403", "413", "422", "429"], ..write("A new version of the policies (refused with Cedar's message when invalid)", admin, vec![],
                body(&[("text", string()), ("note", string())], &["text"]), "200", object(&[("version", int())])) }.json(),
        },
        "/api/v1/wins": {
            "get": get("Wins, newest first", any, {
                let mut p = paging();
                p.push(param("q", "query", false, string(), "Words in the title or description."));
                p.push(param("tool", "query", false, string(), "A tool's name."));
                p.push(param("department", "query", false, string(), "The author's department."));
                p.push(param("since", "query", false, string(), "Posted at or after (RFC 3339 or a date)."));
                p
            }, page_of("Win")).json(),
            "post": write("Post a win", writer, vec![], body(&[
                ("title", string()), ("what", string()), ("tool", nullable("string")),
                ("minutes_before", json!({"type": "integer", "minimum": 0})), ("minutes_after", json!({"type": "integer", "minimum": 0})),
                ("frequency", json!({"type": "string", "enum": ["once", "daily", "weekly", "monthly"]})),
            ], &["title", "minutes_before", "minutes_after", "frequency"]), "201", r("Win")).json(),
        },
        "/api/v1/wins/{id}": { "get": Op { errors: &["401", "404", "429"], ..get("A win with its re-use by department (counts below the minimum group size are null)", any, vec![id()], r("WinDetail")) }.json() },
        "/api/v1/wins/{id}/tried-too": { "post": Op { body: None, ..write("\"I tried this too\" (not by the author; twice changes nothing)", writer, vec![id()], json!({}), "200", object(&[("new", boolean())])) }.json() },
        "/api/v1/wins/{id}/promote": { "post": write("Promote a win into the use-case library", admin, vec![id()],
            body(&[("title", string()), ("steps", strings())], &[]), "200", object(&[("use_case", int())])).json() },
        "/api/v1/use-cases": { "get": get("The use-case library", any, {
            let mut p = paging();
            p.push(param("q", "query", false, string(), "Words in the title, summary or steps."));
            p
        }, page_of("UseCase")).json() },
        "/api/v1/digest": { "get": get("The last seven days", any, vec![], r("Digest")).json() },
        "/api/v1/champions": { "get": get("The champions directory (opt-in profiles only)", any, {
            let mut p = paging();
            p.push(param("department", "query", false, string(), "Department."));
            p.push(param("site", "query", false, string(), "Site."));
            p.push(param("tool", "query", false, string(), "A tool they help with."));
            p
        }, page_of("Champion")).json() },
        "/api/v1/champions/volunteer": { "post": write("Volunteer as a champion, or update your profile", writer, vec![],
            body(&[("listed", boolean()), ("bio", string()), ("tools", strings()), ("office_hours", string())], &[]), "200",
            object(&[("status", string())])).json() },
        "/api/v1/champions/opt-out": { "post": Op { body: None, ..write("Opt out of being a champion or being suggested", writer, vec![], json!({}), "200", object(&[("status", string())])) }.json() },
        "/api/v1/champions/help-sessions": { "post": write("Log a peer-help session", "champions (volunteer or active)", vec![],
            body(&[("topic", string()), ("minutes", json!({"type": "integer", "minimum": 1, "maximum": 1440})),
                   ("people", json!({"type": "integer", "minimum": 1})), ("tool", nullable("string"))], &["topic", "minutes"]),
            "201", object(&[("id", int())])).json() },
        "/api/v1/champions/invitations": { "post": write("Invite people to become champions", admin, vec![],
            body(&[("person_ids", json!({"type": "array", "items": int(), "maxItems": 10000})), ("note", string())], &["person_ids"]),
            "200", object(&[("invited", json!({"type": "array", "items": int()}))])).json() },
    });
    for more in [learning_paths(), requests_paths()] {
        if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), more) {
            all.extend(more);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Flywheel API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every endpoint takes a session cookie (from /login; writes then need the session's token in X-CSRF-Token) or HTTP Basic credentials (writes then must be JSON). Errors are {message, code, type, link} with the stable codes listed at /api/v1/errors. Aggregates over fewer people than the minimum group size are withheld (null, or a `suppressed` reason).",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "basic": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": { "type": "http", "scheme": "basic" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE },
            },
            "schemas": schemas(),
        },
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    axum::Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API routes registered in the router, read from its source: `/healthz`, and every
    /// `.route("…")` of the routers after `api_v1` (nested under `/api/v1`).
    fn routed() -> Vec<String> {
        let src = include_str!("lib.rs");
        let (outer, api) = src
            .split_once("fn api_v1() -> Router<AppState> {")
            .expect("the router nests the API in api_v1");
        let paths = |text: &str| -> Vec<String> {
            text.split(".route(")
                .skip(1)
                .filter_map(|rest| rest.trim_start().strip_prefix('"'))
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_owned)
                .collect()
        };
        let mut out: Vec<String> = paths(outer)
            .into_iter()
            .filter(|p| p == "/healthz")
            .chain(paths(api).into_iter().map(|p| format!("/api/v1{p}")))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_routed_api_path_is_documented_and_nothing_else() {
        let doc = document();
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .cloned()
            .collect();
        // The two documents about the API are not operations of it.
        documented.extend([
            "/api/v1/errors".to_owned(),
            "/api/v1/openapi.json".to_owned(),
        ]);
        documented.sort();
        assert_eq!(routed(), documented);
    }

    #[test]
    fn every_reference_resolves_and_every_error_code_is_listed() {
        let doc = document();
        let text = doc.to_string();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is not defined"
            );
        }
        let codes = doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("codes")
            .len();
        assert_eq!(codes, ErrorCode::ALL.len());
    }
}
