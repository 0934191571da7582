//! Which PostgreSQL's server binaries the cluster runs: the newest installed, or the
//! version that made an existing cluster.

use super::*;

/// Where Debian installs the server binaries, one folder per major version.
pub(super) const POSTGRESQL_LIB: &str = "/usr/lib/postgresql";

/// `initdb`, `pg_ctl` and `postgres` of one PostgreSQL version.
#[derive(Debug)]
pub(super) struct Binaries {
    pub(super) version: String,
    pub(super) initdb: PathBuf,
    pub(super) pg_ctl: PathBuf,
}

/// The major version in `PG_VERSION`, or None when there is no cluster yet.
pub(super) fn read_cluster_version(cluster_dir: &Path) -> anyhow::Result<Option<String>> {
    let path = cluster_dir.join("PG_VERSION");
    match std::fs::read_to_string(&path) {
        Ok(version) => Ok(Some(version.trim().to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// The binaries of the cluster's version if it exists, else of the newest version installed.
pub(super) fn find_binaries(cluster_version: Option<&str>) -> anyhow::Result<Binaries> {
    let mut installed: Vec<(Vec<u32>, String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(POSTGRESQL_LIB) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(key) = name.split('.').map(str::parse::<u32>).collect::<Result<Vec<_>, _>>() else {
                continue;
            };
            let bin = entry.path().join("bin");
            if ["initdb", "pg_ctl", "postgres"].iter().all(|tool| bin.join(tool).is_file()) {
                installed.push((key, name, bin));
            }
        }
    }
    installed.sort();
    let chosen = match cluster_version {
        Some(version) => match installed.iter().find(|(_, name, _)| name == version) {
            Some(found) => found,
            None => bail!(
                "the embedded cluster was created by PostgreSQL {version}, whose server binaries are not under \
                 {POSTGRESQL_LIB}/{version}/bin (installed: {}); install postgresql-{version} or upgrade the cluster",
                installed.iter().map(|(_, name, _)| name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
        None => match installed.last() {
            Some(found) => found,
            None => bail!(
                "no PostgreSQL server binaries found under {POSTGRESQL_LIB}/<version>/bin; install the Debian \
                 package `postgresql` (apt-get install postgresql), or set VECHE_DATABASE_URL to use another server"
            ),
        },
    };
    let (_, version, bin) = chosen;
    Ok(Binaries { version: version.clone(), initdb: bin.join("initdb"), pg_ctl: bin.join("pg_ctl") })
}
