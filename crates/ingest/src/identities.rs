//! Identity mapping files: `kind,value,person` lines that say which person an outside
//! identifier belongs to (`github,octocat,E000123` or `slack,U024BE7LH,ada@example.com`).

use std::io::Read;

use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::IdentityMapping;

use crate::error::{IngestError, Located, Problems};
use crate::hris::normalize_header;

/// Reads a mapping file. The header must name `kind`, `value` and `person` columns.
pub fn read_identities<R: Read>(
    input: R,
    source: &str,
) -> Result<Vec<IdentityMapping>, IngestError> {
    let structure = |message: String| IngestError::Structure {
        source_name: source.to_owned(),
        message,
    };
    let mut rdr =
        csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(crate::limits::RecordLimit::csv(
                input,
                crate::limits::get().max_record,
            ));
    let raw: Vec<String> = rdr
        .headers()
        .map_err(|e| structure(format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    crate::csvrows::refuse_duplicate_headers(&raw, source)?;
    let headers: Vec<String> = raw.iter().map(|h| normalize_header(h)).collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(k), Some(v), Some(p)) = (col("kind"), col("value"), col("person")) else {
        return Err(structure(format!(
            "expected the columns kind,value,person; found {headers:?}"
        )));
    };
    let mut out = Vec::new();
    let mut problems = Problems::default();
    // One mapping per line (a quoted field spanning lines would shift later numbers).
    for (line, rec) in (2u64..).zip(rdr.records()) {
        let at = |field: &str, value: Option<&str>, message: String| Located {
            source: source.to_owned(),
            line,
            field: Some(field.to_owned()),
            value: value.map(str::to_owned),
            message,
        };
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(at("row", None, format!("malformed CSV: {e}")));
                continue;
            }
        };
        let get = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
        let kind = match IdentityKind::parse(get(k)) {
            Ok(kind) => kind,
            Err(e) => {
                problems.push(at("kind", Some(get(k)), e.to_string()));
                continue;
            }
        };
        if get(v).is_empty() || get(p).is_empty() {
            problems.push(at(
                if get(v).is_empty() { "value" } else { "person" },
                None,
                "empty".into(),
            ));
            continue;
        }
        out.push(IdentityMapping {
            kind,
            value: get(v).to_owned(),
            person: get(p).to_owned(),
            line,
        });
    }
    problems.into_result(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_locates_errors() {
        let m = read_identities(
            &b"kind,value,person\ngithub,Octo,E1\nslack,U1,ada@x.org\n"[..],
            "ids.csv",
        )
        .expect("reads");
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].kind, m[0].value.as_str(), m[0].line),
            (IdentityKind::Github, "Octo", 2)
        );
        let err = read_identities(&b"kind,value,person\nfax,1,E1\ngithub,,E1\n"[..], "ids.csv")
            .expect_err("bad");
        let msg = err.to_string();
        assert!(
            msg.contains("ids.csv:2: column \"kind\": value \"fax\""),
            "{msg}"
        );
        assert!(msg.contains("ids.csv:3: column \"value\": empty"), "{msg}");
        assert!(read_identities(&b"a,b\n"[..], "ids.csv").is_err());
    }
}
