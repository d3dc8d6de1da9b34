//! Slack workspace exports, as a zip or an unpacked folder: `users.json`, `channels.json`
//! (and `groups.json` for private channels), and one folder per channel of per-day files.
//!
//! Safety: an archive is bounded in entry count, per-entry and total uncompressed size and
//! compression ratio (zip bombs), and every entry name must stay inside the archive (no
//! absolute paths, no `..`). Dates come from each message's `ts`, parsed as decimal text
//! (never as a float, never from the file name: day files follow the workspace's time zone).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use flywheel_domain::usage::InteractionKind;
use serde_json::Value;

use crate::error::IngestError;

/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 200_000;
/// Largest uncompressed entry.
pub const MAX_ENTRY_BYTES: u64 = 256 << 20;
/// Largest total uncompressed size.
pub const MAX_TOTAL_BYTES: u64 = 16 << 30;
/// Largest uncompressed/compressed ratio of an entry (JSON compresses 10–30×).
pub const MAX_RATIO: u64 = 200;

pub use flywheel_domain::usage::{ChatTie, ChatUser as SlackUser};

/// One message, reduced to what signals need (text is kept only for classification and
/// dropped by the caller unless the admin asked to keep it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackMessage {
    pub channel: String,
    /// The `ts` as written: a message's id within its channel.
    pub ts: String,
    pub at: DateTime<Utc>,
    pub user: Option<String>,
    pub subtype: Option<String>,
    pub text: String,
    pub thread_ts: Option<String>,
    pub parent_user_id: Option<String>,
    /// Reaction name and the users who reacted.
    pub reactions: Vec<(String, Vec<String>)>,
    /// Users mentioned as `<@U…>` (or `<@U…|name>`).
    pub mentions: Vec<String>,
}

impl SlackMessage {
    /// Written by a person (not a bot, not a join/leave/topic notice, not a tombstone).
    pub fn is_human(&self) -> bool {
        self.user.is_some()
            && !matches!(
                self.subtype.as_deref(),
                Some(
                    "bot_message"
                        | "bot_add"
                        | "bot_remove"
                        | "channel_join"
                        | "channel_leave"
                        | "group_join"
                        | "group_leave"
                        | "channel_topic"
                        | "channel_purpose"
                        | "channel_name"
                        | "channel_archive"
                        | "channel_unarchive"
                        | "tombstone"
                        | "pinned_item"
                        | "reminder_add"
                )
            )
    }

    /// A reply inside a thread (not the thread's first message).
    pub fn is_reply(&self) -> bool {
        self.thread_ts.as_deref().is_some_and(|t| t != self.ts)
    }
}

/// The workspace's time zone: messages are filed by its local date (as Slack's own export
/// files its day files), daylight saving included; UTC when none is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Zone(Option<chrono_tz::Tz>);

impl Zone {
    /// An IANA time zone (`America/Chicago`); the error names the value.
    pub fn parse(name: &str) -> Result<Zone, String> {
        name.trim()
            .parse::<chrono_tz::Tz>()
            .map(|tz| Zone(Some(tz)))
            .map_err(|_| {
                format!("{name:?} is not a time zone: use an IANA name such as America/Chicago or Europe/Paris")
            })
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone(None)
    }

    /// The local date of instant `t`.
    pub fn day(self, t: DateTime<Utc>) -> NaiveDate {
        match self.0 {
            Some(tz) => t.with_timezone(&tz).date_naive(),
            None => t.date_naive(),
        }
    }

    /// Its IANA name (`UTC` when none).
    pub fn name(self) -> &'static str {
        self.0.map_or("UTC", |tz| tz.name())
    }
}

/// Parses a Slack `ts` ("1452837318.000002") as decimal text into an instant.
pub fn parse_ts(ts: &str) -> Option<DateTime<Utc>> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let micros: u32 = format!("{frac:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(secs, micros * 1000)
}

/// Users mentioned in a message text.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<@") {
        rest = &rest[i + 2..];
        let end = rest.find(['>', '|']).unwrap_or(rest.len());
        let id = &rest[..end];
        if !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric())
            && !out.iter().any(|m| m == id)
        {
            out.push(id.to_owned());
        }
    }
    out
}

enum Source {
    Dir(PathBuf),
    Zip {
        archive: zip::ZipArchive<std::fs::File>,
        prefix: String,
        names: Vec<String>,
    },
}

/// An opened export.
pub struct SlackExport {
    name: String,
    source: Source,
    pub users: Vec<SlackUser>,
    /// Channel folder names, in order.
    pub channels: Vec<String>,
    /// Each channel's id (`C024BE91L`) by name, where `channels.json` gives one.
    pub channel_ids: HashMap<String, String>,
}

fn structure(name: &str, message: impl Into<String>) -> IngestError {
    IngestError::Structure {
        source_name: name.to_owned(),
        message: message.into(),
    }
}

/// Checks an archive entry name: relative, no `..`, no drive or root.
fn safe_name(name: &str) -> bool {
    let p = Path::new(name);
    !name.contains('\\')
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The largest file of an export read whole: the smaller of [`MAX_ENTRY_BYTES`] and the
/// document limit in force.
fn entry_limit() -> u64 {
    MAX_ENTRY_BYTES.min(crate::limits::get().max_document)
}

/// `rel` inside the export folder `root` (already canonical), resolved through any
/// symlink: `Ok(None)` when it does not exist, an error when it resolves outside the
/// folder (a symlink or `..` pointing elsewhere), so a folder export never reads a file
/// that is not part of it.
fn inside(root: &Path, rel: &str) -> Result<Option<PathBuf>, String> {
    let p = root.join(rel);
    match std::fs::canonicalize(&p) {
        Ok(real) if real.starts_with(root) => Ok(Some(real)),
        Ok(real) => Err(format!(
            "{rel}: resolves to {}, outside the export folder; refused (a symlink or `..` leading out of an export is never followed)",
            real.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{rel}: {e}")),
    }
}

impl SlackExport {
    /// Opens a zip file or a folder.
    pub fn open(path: &Path) -> Result<SlackExport, IngestError> {
        let name = path.display().to_string();
        let source = if path.is_dir() {
            // The real place of the folder: every file read must resolve inside it.
            Source::Dir(
                std::fs::canonicalize(path)
                    .map_err(|e| structure(&name, format!("cannot open: {e}")))?,
            )
        } else {
            let f = std::fs::File::open(path)
                .map_err(|e| structure(&name, format!("cannot open: {e}")))?;
            let mut archive = zip::ZipArchive::new(f)
                .map_err(|e| structure(&name, format!("not a zip archive: {e}")))?;
            if archive.len() > MAX_ENTRIES {
                return Err(structure(
                    &name,
                    format!(
                        "{} entries is more than the limit of {MAX_ENTRIES}",
                        archive.len()
                    ),
                ));
            }
            let mut names = Vec::with_capacity(archive.len());
            let mut total = 0u64;
            for i in 0..archive.len() {
                let e = archive
                    .by_index(i)
                    .map_err(|e| structure(&name, format!("entry {i}: {e}")))?;
                let n = e.name().to_owned();
                if !safe_name(&n) || e.enclosed_name().is_none() {
                    return Err(structure(
                        &name,
                        format!("zip entry {n:?}: path escapes the archive (refused)"),
                    ));
                }
                total += e.size();
                if e.size() > MAX_ENTRY_BYTES {
                    return Err(structure(
                        &name,
                        format!(
                            "zip entry {n:?}: {} bytes uncompressed is more than {MAX_ENTRY_BYTES}",
                            e.size()
                        ),
                    ));
                }
                if e.compressed_size() > 0
                    && e.size() / e.compressed_size().max(1) > MAX_RATIO
                    && e.size() > 1 << 20
                {
                    return Err(structure(
                        &name,
                        format!(
                            "zip entry {n:?}: compression ratio above {MAX_RATIO}:1 (a zip bomb?)"
                        ),
                    ));
                }
                if !e.is_dir() {
                    names.push(n);
                }
            }
            if total > MAX_TOTAL_BYTES {
                return Err(structure(
                    &name,
                    format!("{total} bytes uncompressed is more than {MAX_TOTAL_BYTES}"),
                ));
            }
            // Exports are sometimes zipped with a top folder: find users.json's folder.
            let users = names
                .iter()
                .filter(|n| {
                    n.ends_with("users.json")
                        && Path::new(n).file_name().is_some_and(|f| f == "users.json")
                })
                .min_by_key(|n| n.len())
                .ok_or_else(|| structure(&name, "no users.json: not a Slack export"))?;
            let prefix = users.trim_end_matches("users.json").to_owned();
            Source::Zip {
                archive,
                prefix,
                names,
            }
        };
        let mut export = SlackExport {
            name,
            source,
            users: Vec::new(),
            channels: Vec::new(),
            channel_ids: HashMap::new(),
        };
        let users = export
            .read_json("users.json")?
            .ok_or_else(|| structure(&export.name, "no users.json: not a Slack export"))?;
        export.users =
            parse_users(&users).map_err(|m| structure(&export.name, format!("users.json: {m}")))?;
        let mut channels = Vec::new();
        for list in ["channels.json", "groups.json"] {
            if let Some(v) = export.read_json(list)? {
                let arr = v
                    .as_array()
                    .ok_or_else(|| structure(&export.name, format!("{list}: expected an array")))?;
                for (i, c) in arr.iter().enumerate() {
                    let n = c
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| structure(&export.name, format!("{list}[{i}]: no name")))?;
                    if !safe_name(n) || n.contains('/') {
                        return Err(structure(
                            &export.name,
                            format!("{list}[{i}]: channel name {n:?} is not a folder name"),
                        ));
                    }
                    if let Some(id) = c.get("id").and_then(Value::as_str) {
                        if safe_name(id) {
                            export.channel_ids.insert(n.to_owned(), id.to_owned());
                        }
                    }
                    channels.push(n.to_owned());
                }
            }
        }
        export.channels = channels;
        Ok(export)
    }

    /// The bytes of a file of the export (relative name), if present; bounded.
    fn read_file(&mut self, rel: &str) -> Result<Option<Vec<u8>>, IngestError> {
        let name = self.name.clone();
        match &mut self.source {
            Source::Dir(dir) => {
                let Some(p) = inside(dir, rel).map_err(|m| structure(&name, m))? else {
                    return Ok(None);
                };
                if !p.is_file() {
                    return Ok(None);
                }
                let f =
                    std::fs::File::open(&p).map_err(|e| structure(&name, format!("{rel}: {e}")))?;
                let max = entry_limit();
                let mut buf = Vec::new();
                f.take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| structure(&name, format!("{rel}: {e}")))?;
                if buf.len() as u64 > max {
                    return Err(structure(
                        &name,
                        format!("{rel}: larger than {max} bytes (set FLYWHEEL_MAX_DOCUMENT_BYTES to raise it)"),
                    ));
                }
                Ok(Some(buf))
            }
            Source::Zip {
                archive, prefix, ..
            } => {
                let full = format!("{prefix}{rel}");
                let mut e = match archive.by_name(&full) {
                    Ok(e) => e,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(err) => return Err(structure(&name, format!("{full}: {err}"))),
                };
                let mut buf = Vec::new();
                let max = entry_limit();
                // The declared size may lie: read at most the bound, whatever it says.
                (&mut e)
                    .take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|err| structure(&name, format!("{full}: {err}")))?;
                if buf.len() as u64 > max {
                    return Err(structure(
                        &name,
                        format!("{full}: more than {max} bytes uncompressed (set FLYWHEEL_MAX_DOCUMENT_BYTES to raise it)"),
                    ));
                }
                Ok(Some(buf))
            }
        }
    }

    fn read_json(&mut self, rel: &str) -> Result<Option<Value>, IngestError> {
        let Some(bytes) = self.read_file(rel)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| structure(&self.name, format!("{rel}: not JSON: {e}")))
    }

    /// The day files of a channel, sorted.
    fn day_files(&self, channel: &str) -> Result<Vec<String>, IngestError> {
        let is_day = |f: &str| {
            f.len() == 15
                && f.ends_with(".json")
                && NaiveDate::parse_from_str(&f[..10], "%Y-%m-%d").is_ok()
        };
        let mut files: Vec<String> = match &self.source {
            Source::Dir(dir) => inside(dir, channel)
                .map_err(|m| structure(&self.name, m))?
                .map(std::fs::read_dir)
                .and_then(Result::ok)
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        .filter(|f| is_day(f))
                        .map(|f| format!("{channel}/{f}"))
                        .collect()
                })
                .unwrap_or_default(),
            Source::Zip { prefix, names, .. } => names
                .iter()
                .filter_map(|n| n.strip_prefix(prefix.as_str()))
                .filter(|n| {
                    n.split_once('/')
                        .is_some_and(|(c, f)| c == channel && is_day(f))
                })
                .map(str::to_owned)
                .collect(),
        };
        files.sort();
        Ok(files)
    }

    /// Every message of a channel, oldest first. Errors name the file and message index.
    pub fn channel_messages(&mut self, channel: &str) -> Result<Vec<SlackMessage>, IngestError> {
        let mut out = Vec::new();
        for file in self.day_files(channel)? {
            let v = self.read_json(&file)?.unwrap_or(Value::Null);
            let arr = v.as_array().ok_or_else(|| {
                structure(&self.name, format!("{file}: expected an array of messages"))
            })?;
            for (i, m) in arr.iter().enumerate() {
                out.push(message_from_json(channel, m).map_err(|msg| {
                    structure(&self.name, format!("{file}: message {}: {msg}", i + 1))
                })?);
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.ts.cmp(&b.ts)));
        Ok(out)
    }
}

fn parse_users(v: &Value) -> Result<Vec<SlackUser>, String> {
    let arr = v.as_array().ok_or("expected an array")?;
    arr.iter()
        .enumerate()
        .map(|(i, u)| user_from_json(u).map_err(|e| format!("user {}: {e}", i + 1)))
        .collect()
}

/// One member as Slack writes it, in an export's `users.json` and in the Web API's
/// `users.info` / `users.lookupByEmail` / `team_join` alike.
pub fn user_from_json(u: &Value) -> Result<SlackUser, String> {
    let s = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = s("id").filter(|x| !x.is_empty()).ok_or("no id")?;
    Ok(SlackUser {
        name: s("name")
            .filter(|x| !x.is_empty())
            .unwrap_or_else(|| id.clone()),
        real_name: s("real_name").filter(|x| !x.is_empty()),
        email: u
            .pointer("/profile/email")
            .and_then(Value::as_str)
            .filter(|x| !x.is_empty())
            .map(str::to_owned),
        is_bot: u.get("is_bot").and_then(Value::as_bool).unwrap_or(false)
            || u.get("is_app_user")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            || id == "USLACKBOT",
        deleted: u.get("deleted").and_then(Value::as_bool).unwrap_or(false),
        id,
    })
}

/// One message as Slack writes it, in an export's day file and in an Events API `message`
/// event alike (the live signals use this same reading). Empty strings count as absent (the
/// Events API sends `"subtype": ""`, `"thread_ts": ""`), and a message posted by an app
/// (`bot_id` set, no subtype) is a `bot_message`.
pub fn message_from_json(channel: &str, m: &Value) -> Result<SlackMessage, String> {
    let s = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let ts = s("ts").ok_or("no ts")?;
    let at = parse_ts(&ts).ok_or(format!("ts {ts:?} is not a Slack timestamp"))?;
    let text = s("text").unwrap_or_default();
    let reactions = m
        .get("reactions")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    let name = r.get("name")?.as_str()?.to_owned();
                    let users = r
                        .get("users")?
                        .as_array()?
                        .iter()
                        .filter_map(|u| u.as_str().map(str::to_owned))
                        .collect();
                    Some((name, users))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(SlackMessage {
        channel: channel.to_owned(),
        mentions: mentions(&text),
        at,
        user: s("user"),
        subtype: s("subtype").or_else(|| s("bot_id").map(|_| "bot_message".to_owned())),
        thread_ts: s("thread_ts"),
        parent_user_id: s("parent_user_id"),
        reactions,
        text,
        ts,
    })
}

/// Derives the interaction signals of one channel's messages: replies (replier → the
/// thread's author), mentions (author → mentioned), reactions (reactor → author), and
/// thread co-participation (each pair of people in a thread, both ways, weight 1/(n−1) so a
/// big thread does not outweigh a real exchange). Bots and notices are ignored; ties of a
/// kind between two people on one day add up.
pub fn derive_ties(
    messages: &[SlackMessage],
    bots: &std::collections::HashSet<String>,
    zone: Zone,
) -> Vec<ChatTie> {
    let human =
        |m: &SlackMessage| m.is_human() && m.user.as_ref().is_some_and(|u| !bots.contains(u));
    let mut acc: BTreeMap<(InteractionKind, String, String, NaiveDate, String), f32> =
        BTreeMap::new();
    let mut add =
        |kind: InteractionKind, from: &str, to: &str, day: NaiveDate, channel: &str, w: f32| {
            if from != to && !bots.contains(to) {
                *acc.entry((
                    kind,
                    from.to_owned(),
                    to.to_owned(),
                    day,
                    channel.to_owned(),
                ))
                .or_insert(0.0) += w;
            }
        };
    let roots: HashMap<&str, &SlackMessage> = messages.iter().map(|m| (m.ts.as_str(), m)).collect();
    let mut threads: BTreeMap<&str, (NaiveDate, Vec<String>)> = BTreeMap::new();
    for m in messages.iter().filter(|m| human(m)) {
        let Some(author) = m.user.as_deref() else {
            continue;
        };
        let day = zone.day(m.at);
        if m.is_reply() {
            let parent = m.parent_user_id.clone().or_else(|| {
                m.thread_ts
                    .as_deref()
                    .and_then(|t| roots.get(t))
                    .and_then(|r| r.user.clone())
            });
            if let Some(p) = parent {
                add(InteractionKind::Reply, author, &p, day, &m.channel, 1.0);
            }
        }
        for x in &m.mentions {
            add(InteractionKind::Mention, author, x, day, &m.channel, 1.0);
        }
        for (_, users) in &m.reactions {
            for r in users {
                if !bots.contains(r) {
                    add(InteractionKind::Reaction, r, author, day, &m.channel, 1.0);
                }
            }
        }
        if let Some(t) = m.thread_ts.as_deref() {
            let root_day = roots.get(t).map_or(day, |r| zone.day(r.at));
            let entry = threads.entry(t).or_insert((root_day, Vec::new()));
            if !entry.1.iter().any(|p| p == author) {
                entry.1.push(author.to_owned());
            }
        }
    }
    for (t, (day, people)) in &threads {
        // The root's author belongs to the thread even if their message is not a reply.
        let mut people = people.clone();
        if let Some(root_author) = roots
            .get(t)
            .filter(|r| human(r))
            .and_then(|r| r.user.clone())
        {
            if !people.contains(&root_author) {
                people.push(root_author);
            }
        }
        if people.len() < 2 {
            continue;
        }
        let w = 1.0 / (people.len() - 1) as f32;
        let channel = roots.get(t).map_or_else(String::new, |r| r.channel.clone());
        for a in &people {
            for b in &people {
                add(InteractionKind::Thread, a, b, *day, &channel, w);
            }
        }
    }
    acc.into_iter()
        .map(|((kind, from, to, day, channel), weight)| ChatTie {
            kind,
            from,
            to,
            day,
            channel,
            weight,
        })
        .collect()
}

/// Writes a workspace export as Slack's zip does (for the demo and round-trip tests):
/// `users.json`, `channels.json`, and per channel one file per UTC day of its messages.
/// Thread roots get `reply_count`, `reply_users` and `replies` from their replies; `ts`
/// and `thread_ts` are written as the text they are.
pub fn write_export<W: std::io::Write + std::io::Seek>(
    out: W,
    users: &[SlackUser],
    channels: &[&str],
    messages: &[SlackMessage],
) -> zip::result::ZipResult<W> {
    use serde_json::json;
    let mut z = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let to_json = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    let users_json: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "name": u.name,
                "real_name": u.real_name,
                "deleted": u.deleted,
                "is_bot": u.is_bot,
                "profile": {
                    "real_name": u.real_name,
                    "display_name": u.name,
                    "email": u.email,
                },
            })
        })
        .collect();
    z.start_file("users.json", opts)?;
    std::io::Write::write_all(&mut z, &to_json(&Value::Array(users_json)))?;
    let channels_json: Vec<Value> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"id": format!("C{:08}", i + 1), "name": c, "is_archived": false}))
        .collect();
    z.start_file("channels.json", opts)?;
    std::io::Write::write_all(&mut z, &to_json(&Value::Array(channels_json)))?;
    let mut replies: HashMap<(&str, &str), Vec<&SlackMessage>> = HashMap::new();
    for m in messages.iter().filter(|m| m.is_reply()) {
        if let Some(t) = m.thread_ts.as_deref() {
            replies.entry((m.channel.as_str(), t)).or_default().push(m);
        }
    }
    let mut days: BTreeMap<(&str, NaiveDate), Vec<&SlackMessage>> = BTreeMap::new();
    for m in messages {
        days.entry((m.channel.as_str(), m.at.date_naive()))
            .or_default()
            .push(m);
    }
    for ((channel, day), mut msgs) in days {
        msgs.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.ts.cmp(&b.ts)));
        let arr: Vec<Value> = msgs
            .iter()
            .map(|m| {
                let mut v = json!({"type": "message", "text": m.text, "ts": m.ts});
                let o = v.as_object_mut().expect("a JSON object literal");
                if let Some(u) = &m.user {
                    o.insert("user".into(), json!(u));
                }
                if let Some(st) = &m.subtype {
                    o.insert("subtype".into(), json!(st));
                }
                if let Some(t) = &m.thread_ts {
                    o.insert("thread_ts".into(), json!(t));
                }
                if let Some(p) = &m.parent_user_id {
                    o.insert("parent_user_id".into(), json!(p));
                }
                if let Some(rs) = replies.get(&(channel, m.ts.as_str())) {
                    let mut who: Vec<&str> = rs.iter().filter_map(|r| r.user.as_deref()).collect();
                    who.dedup();
                    o.insert("reply_count".into(), json!(rs.len()));
                    o.insert("reply_users".into(), json!(who));
                    o.insert(
                        "replies".into(),
                        Value::Array(
                            rs.iter()
                                .map(|r| json!({"user": r.user, "ts": r.ts}))
                                .collect(),
                        ),
                    );
                }
                if !m.reactions.is_empty() {
                    o.insert(
                        "reactions".into(),
                        Value::Array(
                            m.reactions
                                .iter()
                                .map(|(n, us)| json!({"name": n, "users": us, "count": us.len()}))
                                .collect(),
                        ),
                    );
                }
                v
            })
            .collect();
        z.start_file(format!("{channel}/{day}.json"), opts)?;
        std::io::Write::write_all(&mut z, &to_json(&Value::Array(arr)))?;
    }
    z.finish()
}

#[cfg(test)]
mod tests {

    #[test]
    fn days_follow_the_workspace_zone_across_a_dst_change() {
        let chicago = Zone::parse("America/Chicago").expect("a zone");
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("an instant");
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a day");
        // Daylight saving starts in Chicago at 02:00 on 2026-03-08 (UTC−6 → UTC−5).
        for (instant, local, utc) in [
            ("2026-03-08T04:30:00Z", "2026-03-07", "2026-03-08"), // 22:30 CST, the evening before
            ("2026-03-08T06:15:00Z", "2026-03-08", "2026-03-08"), // 00:15 CST, just after midnight
            ("2026-03-09T04:30:00Z", "2026-03-08", "2026-03-09"), // 23:30 CDT
            ("2026-03-09T05:15:00Z", "2026-03-09", "2026-03-09"), // 00:15 CDT
            ("2026-11-01T05:30:00Z", "2026-11-01", "2026-11-01"), // 00:30 CDT, the night it ends
            ("2026-11-02T05:30:00Z", "2026-11-01", "2026-11-02"), // 23:30 CST
        ] {
            assert_eq!(chicago.day(at(instant)), day(local), "{instant}");
            assert_eq!(Zone::utc().day(at(instant)), day(utc), "{instant}");
        }
        assert_eq!(chicago.name(), "America/Chicago");
        assert!(Zone::parse("Mars/Olympus").is_err_and(|e| e.contains("IANA")));
    }
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/slack/testarchive.zip")
    }

    #[test]
    fn ts_is_decimal_text() {
        let t = parse_ts("1452837318.000002").expect("ts");
        assert_eq!(t.timestamp(), 1452837318);
        assert_eq!(t.timestamp_subsec_micros(), 2);
        // 0.1 + 0.2 style float loss cannot happen: the fraction is digits, not a float.
        assert_eq!(
            parse_ts("1700000000.999999")
                .expect("ts")
                .timestamp_subsec_micros(),
            999_999
        );
        for bad in ["", "abc", "1.2.3", "-5.0", "1e9"] {
            assert_eq!(parse_ts(bad), None, "{bad}");
        }
    }

    #[test]
    fn mention_forms() {
        assert_eq!(
            mentions("<@U1>: hi <@U2|bob> and <@U1> again, <#C1> <!here>"),
            vec!["U1", "U2"]
        );
    }

    #[test]
    fn the_fixture_archive() {
        let mut ex = SlackExport::open(&fixture()).expect("opens");
        assert_eq!(ex.users.len(), 4);
        assert_eq!(ex.channels, vec!["enrique", "traveling-sailor"]);
        let mut total = 0;
        let mut human = 0;
        for c in ex.channels.clone() {
            let msgs = ex.channel_messages(&c).expect("messages");
            total += msgs.len();
            human += msgs.iter().filter(|m| m.is_human()).count();
            assert!(msgs.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
        }
        assert_eq!(total, 158);
        assert!(
            human > 0 && human < 60,
            "bots and joins are not people talking: {human}"
        );
    }

    #[test]
    fn signals() {
        let msg = |ts: &str, user: &str, text: &str, thread: Option<&str>, parent: Option<&str>| {
            SlackMessage {
                channel: "ai-help".into(),
                ts: ts.into(),
                at: parse_ts(ts).expect("ts"),
                user: Some(user.into()),
                subtype: None,
                text: text.into(),
                thread_ts: thread.map(Into::into),
                parent_user_id: parent.map(Into::into),
                reactions: vec![],
                mentions: mentions(text),
            }
        };
        let mut root = msg(
            "1700000000.000100",
            "UA",
            "how do I get access? <@UC>",
            Some("1700000000.000100"),
            None,
        );
        root.reactions = vec![("+1".into(), vec!["UB".into(), "UA".into(), "UBOT".into()])];
        let r1 = msg(
            "1700000100.000200",
            "UB",
            "here is how",
            Some("1700000000.000100"),
            Some("UA"),
        );
        let r2 = msg(
            "1700000200.000300",
            "UC",
            "also this",
            Some("1700000000.000100"),
            None,
        );
        let mut join = msg("1700000300.000400", "UD", "<@UD> has joined", None, None);
        join.subtype = Some("channel_join".into());
        let bots = std::collections::HashSet::from(["UBOT".to_owned()]);
        let ties = derive_ties(&[root, r1, r2, join], &bots, Zone::utc());
        let has = |k: &str, f: &str, t: &str| {
            ties.iter()
                .find(|x| x.kind.as_str() == k && x.from == f && x.to == t)
                .map(|x| x.weight)
        };
        assert_eq!(has("reply", "UB", "UA"), Some(1.0));
        assert_eq!(
            has("reply", "UC", "UA"),
            Some(1.0),
            "parent found from the thread root"
        );
        assert_eq!(has("mention", "UA", "UC"), Some(1.0));
        assert_eq!(has("reaction", "UB", "UA"), Some(1.0));
        assert_eq!(has("reaction", "UA", "UA"), None, "no self ties");
        assert_eq!(
            has("thread", "UB", "UC"),
            Some(0.5),
            "three people: each pair weighs 1/2"
        );
        assert!(
            ties.iter()
                .all(|t| t.from != "UD" && t.to != "UD" && t.from != "UBOT"),
            "joins and bots make no ties"
        );
    }

    #[test]
    fn written_exports_read_back() {
        let user = |id: &str, bot: bool| SlackUser {
            id: id.into(),
            name: id.to_lowercase(),
            real_name: Some(format!("Person {id}")),
            email: (!bot).then(|| format!("{}@example.com", id.to_lowercase())),
            is_bot: bot,
            deleted: false,
        };
        let users = vec![user("UA", false), user("UB", false), user("UBOT", true)];
        let msg = |ts: &str, u: &str, text: &str, thread: Option<&str>| SlackMessage {
            channel: "ai-help".into(),
            ts: ts.into(),
            at: parse_ts(ts).expect("ts"),
            user: Some(u.into()),
            subtype: None,
            text: text.into(),
            thread_ts: thread.map(Into::into),
            parent_user_id: thread.filter(|t| *t != ts).map(|_| "UA".into()),
            reactions: vec![],
            mentions: mentions(text),
        };
        let mut root = msg(
            "1700000000.000100",
            "UA",
            "how do I get access?",
            Some("1700000000.000100"),
        );
        root.reactions = vec![("pray".into(), vec!["UB".into()])];
        // The reply falls on the next UTC day: it goes to the next day's file.
        let reply = msg(
            "1700092800.000200",
            "UB",
            "<@UA> ask IT",
            Some("1700000000.000100"),
        );
        let mut bot = msg("1700000050.000001", "UBOT", "digest", None);
        bot.subtype = Some("bot_message".into());
        let written = vec![root, bot, reply];
        let dir = std::env::temp_dir().join(format!("fw-slack-w-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("export.zip");
        write_export(
            std::fs::File::create(&p).expect("create"),
            &users,
            &["ai-help", "general"],
            &written,
        )
        .expect("writes");
        let mut ex = SlackExport::open(&p).expect("opens");
        assert_eq!(ex.users, users);
        assert_eq!(ex.channels, vec!["ai-help", "general"]);
        let mut read = ex.channel_messages("ai-help").expect("reads");
        let mut want = written.clone();
        want.sort_by_key(|m| m.at);
        read.sort_by_key(|m| m.at);
        assert_eq!(read, want);
        assert!(ex.channel_messages("general").expect("empty").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hostile_archives_are_refused() {
        let dir = std::env::temp_dir().join(format!("fw-slack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let write_zip = |name: &str, entries: &[(&str, Vec<u8>)]| {
            let p = dir.join(name);
            let mut z = zip::ZipWriter::new(std::fs::File::create(&p).expect("create"));
            for (n, data) in entries {
                z.start_file(*n, zip::write::SimpleFileOptions::default())
                    .expect("start");
                std::io::Write::write_all(&mut z, data).expect("write");
            }
            z.finish().expect("finish");
            p
        };
        let traversal = write_zip(
            "trav.zip",
            &[
                ("users.json", b"[]".to_vec()),
                ("../evil.json", b"[]".to_vec()),
            ],
        );
        let err = SlackExport::open(&traversal)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("\"../evil.json\": path escapes the archive"),
            "{err}"
        );
        let bomb = write_zip(
            "bomb.zip",
            &[
                ("users.json", b"[]".to_vec()),
                ("c/2020-01-01.json", vec![b' '; 8 << 20]),
            ],
        );
        let err = SlackExport::open(&bomb)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("compression ratio"), "{err}");
        let not_slack = write_zip("other.zip", &[("readme.txt", b"hi".to_vec())]);
        assert!(SlackExport::open(&not_slack)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("no users.json"));
        let bad_ts = write_zip("ts.zip", &[("users.json", b"[]".to_vec()), ("channels.json", br#"[{"name":"c"}]"#.to_vec()),
            ("c/2020-01-01.json", br#"[{"ts":"1577836800.1","user":"U1","text":"ok"},{"ts":1577836801.5,"user":"U1"}]"#.to_vec())]);
        let mut ex = SlackExport::open(&bad_ts).expect("opens");
        let err = ex
            .channel_messages("c")
            .expect_err("numeric ts")
            .to_string();
        assert!(err.contains("c/2020-01-01.json: message 2: no ts"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
