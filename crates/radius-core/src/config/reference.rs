//! The configuration reference (`docs/configuration.md`), generated from
//! the documented config structs in `model.rs`, so it cannot drift: one
//! test fails when a key has no doc comment, another when the file is not
//! what the structs say (`RADIUS_RS_WRITE_REFERENCE=1 cargo test -p
//! radius-core reference` rewrites it). Test-only: nothing of it is in the
//! shipped libraries.

/// The sections, in the order the reference lists them: (struct, table).
const SECTIONS: &[(&str, &str)] = &[
    ("ClientSection", "[client]"),
    ("MaxWait", "[client.max_wait]"),
    ("ServerSection", "[[server]]"),
    ("RegistrySection", "[registry]"),
    ("UserSection", "[users.NAME]"),
    ("PppSection", "[ppp]"),
    ("SessionsSection", "[sessions]"),
    ("IncomingSection", "[incoming]"),
    ("IncomingClientSection", "[[incoming.client]]"),
    ("AccountingSection", "[accounting]"),
];

const MODEL: &str = include_str!("model.rs");

/// One key: its name in the file and its documentation (None: undocumented).
struct Key {
    name: String,
    doc: Option<String>,
}

/// The keys of `pub struct NAME { … }` in model.rs, with their docs; a
/// field named otherwise in the file says so on a line of its own
/// (`// In the file: `server`.`).
fn keys(name: &str) -> Vec<Key> {
    let start = MODEL.find(&format!("pub struct {name} {{")).unwrap_or_else(|| panic!("no struct {name} in model.rs"));
    let body = &MODEL[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    let mut out = Vec::new();
    let (mut doc, mut rename): (Vec<String>, Option<String>) = (Vec::new(), None);
    for line in body.lines().map(str::trim) {
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.trim().to_string());
        } else if let Some(r) = line.strip_prefix("// In the file: `") {
            rename = r.split('`').next().map(str::to_string);
        } else if let Some(field) = line.strip_prefix("pub ").and_then(|l| l.split(':').next()) {
            let name = rename.take().unwrap_or_else(|| field.to_string());
            let text = doc.join(" ");
            out.push(Key { name, doc: (!text.is_empty()).then_some(text) });
            doc.clear();
        }
    }
    out
}

/// The reference's text.
pub fn generate() -> String {
    let mut t = String::from(
        "# Configuration reference\n\n\
         Every key of `/etc/radius_rs/radius.toml`, generated from the documented config\n\
         structs (`crates/radius-core/src/config/model.rs`) by a test that fails when\n\
         this file or a key's documentation is missing. Durations are written `\"300ms\"`,\n\
         `\"3s\"`, `\"5m\"`, `\"1h\"`; unknown keys are refused. `packaging/radius.toml` is\n\
         a commented example.\n",
    );
    for (name, table) in SECTIONS {
        t += &format!("\n## `{table}`\n\n| key | meaning |\n|---|---|\n");
        for k in keys(name) {
            t += &format!("| `{}` | {} |\n", k.name, k.doc.unwrap_or_default().replace('|', "\\|"));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_documented() {
        for (name, table) in SECTIONS {
            let keys = keys(name);
            assert!(!keys.is_empty(), "{name} has no keys");
            for k in keys {
                assert!(k.doc.is_some(), "{table} `{}` has no doc comment in model.rs", k.name);
            }
        }
    }

    /// The reader reads exactly the keys the structs document, table by
    /// table: a key added to a struct but not read (or read but not
    /// documented) fails here.
    #[test]
    fn the_reader_reads_every_documented_key() {
        for (name, read) in super::super::read::KEYS {
            let mut documented: Vec<String> = keys(name).into_iter().map(|k| k.name).collect();
            let mut read: Vec<String> = read.iter().map(|k| k.to_string()).collect();
            documented.sort();
            read.sort();
            assert_eq!(documented, read, "{name}: the keys model.rs documents (left) and read.rs reads (right)");
        }
    }

    #[test]
    fn the_reference_is_what_the_structs_say() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let generated = generate();
        if std::env::var_os("RADIUS_RS_WRITE_REFERENCE").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/configuration.md is not what the config structs say: RADIUS_RS_WRITE_REFERENCE=1 cargo test -p radius-core reference"
        );
        // Every table the loader knows is in the reference.
        for (_, table) in SECTIONS {
            assert!(on_disk.contains(table));
        }
    }
}
