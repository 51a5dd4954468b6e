//! `radius-rs users add|show|delete|list|import`: the user registry's
//! store (`[registry] store`), with OpenBao's verbs. Names come out in
//! order; `list` pages with `--after NAME --limit N`.

use crate::Verdict;
use radius_core::config::UserSection;
use radius_host::user_registry::Registry;
use radius_host::user_store::UserStore;
use std::path::{Path, PathBuf};

/// `radius-rs users …`.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add a user with his policies.
    Add {
        /// The user.
        name: String,
        /// A policy (repeatable).
        #[arg(long = "policy", value_name = "POLICY")]
        policies: Vec<String>,
        /// A network he may log in from (repeatable; default: the registry's).
        #[arg(long = "bound-cidr", value_name = "CIDR")]
        bound_cidrs: Vec<ipnet::IpNet>,
        /// Replace a user already there.
        #[arg(long)]
        replace: bool,
    },
    /// Show a user.
    Show {
        /// The user.
        name: String,
    },
    /// Delete a user.
    Delete {
        /// The user.
        name: String,
    },
    /// List users in order.
    List {
        /// Start after this name.
        #[arg(long)]
        after: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Load `NAME POLICY[,POLICY...]` lines (replacing users already there).
    Import {
        /// The file.
        file: PathBuf,
    },
}

fn store(config: &Path) -> Option<UserStore> {
    let config = super::load_config(config)?;
    let registry = Registry::from_config(&config);
    if !registry.in_force() {
        eprintln!(
            "radius-rs: warning: {} has no [registry] or [users] table: logins do not consult the registry until one is added",
            config.path.display()
        );
    }
    registry.store().cloned()
}

/// Runs `users ACTION`.
pub fn run(config: &Path, action: &Action) -> Verdict {
    let Some(store) = store(config) else { return Verdict::Error };
    let result = match action {
        Action::Add { name, policies, bound_cidrs, replace } => {
            let user = UserSection { policies: policies.clone(), bound_cidrs: bound_cidrs.clone() };
            store.put(name, &user, *replace).map(|()| println!("{name}: added ({})", policies.join(",")))
        }
        Action::Show { name } => match store.get(name) {
            Ok(Some(u)) => {
                println!("name: {name}");
                println!("policies: {}", u.policies.join(","));
                if !u.bound_cidrs.is_empty() {
                    let cidrs: Vec<String> = u.bound_cidrs.iter().map(|c| c.to_string()).collect();
                    println!("bound_cidrs: {}", cidrs.join(","));
                }
                Ok(())
            }
            Ok(None) => Err(radius_host::user_store::StoreError::Unknown(name.clone())),
            Err(e) => Err(e),
        },
        Action::Delete { name } => store.delete(name).map(|()| println!("{name}: deleted")),
        Action::List { after, limit } => store.list(after.as_deref(), *limit).map(|names| {
            for n in names {
                println!("{n}");
            }
        }),
        Action::Import { file } => match std::fs::read_to_string(file) {
            Ok(text) => store.import(file, &text).map(|n| println!("{n} users imported into {}", store.path().display())),
            Err(e) => {
                eprintln!("radius-rs: error: {}: {e}", file.display());
                return Verdict::Error;
            }
        },
    };
    match result {
        Ok(()) => Verdict::Ok,
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            Verdict::Error
        }
    }
}
