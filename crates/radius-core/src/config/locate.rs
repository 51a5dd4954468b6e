//! Finds the line of a key in TOML text, for error messages that name it.

/// One step of a key path: a table name or an array-of-tables element.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if !name.is_empty() {
            steps.push(Step::Key(name.to_string()));
        }
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            if let Ok(n) = idx.parse() {
                steps.push(Step::Index(n));
            }
        }
    }
    steps
}

/// The 1-based line where `path` (as `client.timeout` or `server[1].secret`)
/// is set in `text`, if it can be found by a simple scan of table headers
/// and `key =` lines.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let steps = parse_path(path);
    let (key, tables) = match steps.split_last() {
        Some((Step::Key(k), t)) => (k.clone(), t.to_vec()),
        Some((Step::Index(_), _)) => (String::new(), steps.clone()),
        None => return None,
    };
    // Wanted header: e.g. [client] or the Nth [[server]].
    let (table, index) = match tables.as_slice() {
        [] => (None, None),
        [Step::Key(t)] => (Some(t.clone()), None),
        [Step::Key(t), Step::Index(i), ..] => (Some(t.clone()), Some(*i)),
        _ => return None,
    };
    let mut current: Option<String> = None;
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let mut current_index: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let count = seen.entry(name.clone()).or_insert(0);
            current_index = Some(*count);
            *count += 1;
            current = Some(name);
            if key.is_empty() && table.as_deref() == current.as_deref() && index == current_index {
                return Some(n + 1);
            }
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = Some(name.trim().to_string());
            current_index = None;
            if key.is_empty() && table.as_deref() == current.as_deref() {
                return Some(n + 1);
            }
            continue;
        }
        if key.is_empty() || current != table || (index.is_some() && index != current_index) {
            continue;
        }
        if let Some((k, _)) = line.split_once('=') {
            if k.trim().trim_matches('"') == key {
                return Some(n + 1);
            }
        }
    }
    None
}

/// The key path (as `client.timeout` or `server[1].secret`) of the line
/// holding byte `offset` of `text`: the key set on that line under the
/// table header above it, or the table itself for a header line. Empty
/// when the line sets no key in a table.
pub fn key_at_offset(text: &str, offset: usize) -> String {
    let target = line_of_offset(text, offset);
    let mut table = String::new();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let header = if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let count = counts.entry(name.clone()).or_insert(0);
            let header = format!("{name}[{count}]");
            *count += 1;
            Some(header)
        } else {
            line.strip_prefix('[').and_then(|l| l.split(']').next()).map(|name| name.trim().to_string())
        };
        if let Some(h) = header {
            table = h;
            if n + 1 == target {
                return table;
            }
            continue;
        }
        if n + 1 == target {
            let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"')).unwrap_or("");
            return match (table.is_empty(), key.is_empty()) {
                (_, true) => table,
                (true, false) => key.to_string(),
                (false, false) => format!("{table}.{key}"),
            };
        }
    }
    table
}

/// The 1-based line of a byte offset.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|prefix| prefix.matches('\n').count() + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[client]\ntimeout = \"1s\"\n\n[[server]]\naddress = \"a\"\n[[server]]\naddress = \"b\"\nsecret = \"x\"\n";

    /// Keys in plain tables and in the Nth array-of-tables element are found.
    #[test]
    fn finds_keys() {
        assert_eq!(line_of(TEXT, "client.timeout"), Some(2));
        assert_eq!(line_of(TEXT, "server[0].address"), Some(5));
        assert_eq!(line_of(TEXT, "server[1].address"), Some(7));
        assert_eq!(line_of(TEXT, "server[1].secret"), Some(8));
        assert_eq!(line_of(TEXT, "server[1]"), Some(6));
        assert_eq!(line_of(TEXT, "client.nothing"), None);
    }

    /// The key of an error's position, in the same notation.
    #[test]
    fn key_of_an_offset() {
        let at = |needle: &str| TEXT.find(needle).unwrap();
        assert_eq!(key_at_offset(TEXT, at("\"1s\"")), "client.timeout");
        assert_eq!(key_at_offset(TEXT, at("\"a\"")), "server[0].address");
        assert_eq!(key_at_offset(TEXT, at("\"x\"")), "server[1].secret");
        assert_eq!(key_at_offset(TEXT, at("[[server]]\naddress = \"b")), "server[1]");
        assert_eq!(key_at_offset("top = 1\n", 2), "top");
    }
}
