//! The system user the PostgreSQL tools run as when veche is root (PostgreSQL refuses
//! root), and the directories that user must be able to reach.

use super::*;

/// The system user the PostgreSQL tools run as when veche is root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct User {
    pub(super) uid: u32,
    pub(super) gid: u32,
}

pub(super) fn current_uid() -> anyhow::Result<u32> {
    Ok(nix::unistd::Uid::current().as_raw())
}

/// As root, the tools run as the owner of an existing cluster, or else as `postgres`.
pub(super) fn user_for_root(cluster_dir: &Path, cluster_exists: bool) -> anyhow::Result<User> {
    if cluster_exists {
        let metadata = std::fs::metadata(cluster_dir)?;
        if metadata.uid() != 0 {
            return Ok(User { uid: metadata.uid(), gid: metadata.gid() });
        }
    }
    system_user("postgres")?.with_context(|| {
        "PostgreSQL refuses to run as root and there is no `postgres` system user; install the Debian \
         package `postgresql` (it creates the user) or run veche as an ordinary user"
            .to_string()
    })
}

/// The uid and gid of a user in /etc/passwd.
pub(super) fn system_user(name: &str) -> anyhow::Result<Option<User>> {
    let found = nix::unistd::User::from_name(name).with_context(|| format!("looking up the system user {name}"))?;
    Ok(found.map(|user| User { uid: user.uid.as_raw(), gid: user.gid.as_raw() }))
}

/// Whether `user` may enter a directory with this metadata (mode bits only; supplementary
/// groups and ACLs are not considered).
pub(super) fn traversable_by(metadata: &std::fs::Metadata, user: User) -> bool {
    let mode = metadata.mode();
    if user.uid == 0 {
        true
    } else if metadata.uid() == user.uid {
        mode & 0o100 != 0
    } else if metadata.gid() == user.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Makes sure `user` can reach the cluster directory: the data directory is opened to
/// traversal (0755 if we created it; +x for group and others if it is ours but closed,
/// e.g. a fresh temp dir), and every directory above it must already be traversable.
pub(super) fn make_reachable(data_dir: &Path, created: bool, user: User) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(data_dir)?;
    if created {
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod 0755 {}", data_dir.display()))?;
    } else if !traversable_by(&metadata, user) {
        if metadata.uid() != current_uid()? {
            bail!(
                "the PostgreSQL server runs as uid {} (PostgreSQL refuses root) and cannot enter the data \
                 directory {}; choose another VECHE_DATA_DIR or make it traversable (chmod o+x)",
                user.uid,
                data_dir.display()
            );
        }
        let mode = (metadata.mode() & 0o7777) | 0o011;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {mode:o} {}", data_dir.display()))?;
    }
    for ancestor in data_dir.ancestors().skip(1) {
        let metadata = std::fs::metadata(ancestor).with_context(|| format!("reading {}", ancestor.display()))?;
        if !traversable_by(&metadata, user) {
            bail!(
                "the PostgreSQL server runs as uid {} (PostgreSQL refuses root) and cannot reach the data \
                 directory {}: {} is not traversable by it; choose another VECHE_DATA_DIR (e.g. under /var/lib)",
                user.uid,
                data_dir.display(),
                ancestor.display()
            );
        }
    }
    Ok(())
}

/// Creates `path` (0700) if missing and makes `user` its owner.
pub(super) fn give_to(path: &Path, user: User) -> anyhow::Result<()> {
    if !path.exists() {
        std::fs::create_dir(path).with_context(|| format!("creating {}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    let metadata = std::fs::metadata(path)?;
    if metadata.uid() != user.uid || metadata.gid() != user.gid {
        chown(path, Some(user.uid), Some(user.gid))
            .with_context(|| format!("chown {}:{} {}", user.uid, user.gid, path.display()))?;
    }
    Ok(())
}

/// `pg_ctl` appends the server's output to the log as `user`, so the file must be theirs.
pub(super) fn prepare_log_file(log_file: &Path, user: User) -> anyhow::Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(log_file)
        .with_context(|| format!("creating {}", log_file.display()))?;
    chown(log_file, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}:{} {}", user.uid, user.gid, log_file.display()))
}
