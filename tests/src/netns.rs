//! Network namespaces for browsers that must not reach each other directly, as two people
//! behind different NATs. Each namespace has a veth pair to the host, an address of its
//! own and a default route through the host, which does not forward between them
//! (`ip_forward` is off): a browser inside reaches the host's addresses (veche, coturn)
//! and nothing of the other namespace. Removed when dropped, and by a watchdog if the test
//! process dies first.

use std::process::Command;

pub struct IsolatedNetwork {
    pub name: String,
    /// The host's address on this namespace's link: where veche and coturn are reached.
    pub host_ip: String,
    /// The namespace's own address.
    pub inner_ip: String,
    host_link: String,
}

fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status().expect("`ip` runs (iproute2)");
    assert!(status.success(), "ip {} failed", args.join(" "));
}

/// Whether the host forwards between its interfaces (then the namespaces would reach each
/// other, and a test relying on them not to would prove nothing).
pub fn host_forwards() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").is_ok_and(|value| value.trim() != "0")
}

impl IsolatedNetwork {
    /// The `index`th namespace of this test process (0–9).
    pub fn create(index: u8) -> Self {
        let pid = std::process::id();
        let name = format!("veche-{pid}-{index}");
        // Interface names have at most 15 characters.
        let (host_link, inner_link) = (format!("vh{}{index}", pid % 1_000_000), format!("vn{}{index}", pid % 1_000_000));
        let subnet = format!("10.{}.{}", 100 + index, pid % 250);
        let (host_ip, inner_ip) = (format!("{subnet}.1"), format!("{subnet}.2"));
        crate::process::run_after_exit(&format!("ip netns del {name} 2>/dev/null; ip link del {host_link} 2>/dev/null"));
        ip(&["netns", "add", &name]);
        ip(&["link", "add", &host_link, "type", "veth", "peer", "name", &inner_link]);
        ip(&["link", "set", &inner_link, "netns", &name]);
        ip(&["addr", "add", &format!("{host_ip}/24"), "dev", &host_link]);
        ip(&["link", "set", &host_link, "up"]);
        let inside = |args: &[&str]| ip(&[&["netns", "exec", &name, "ip"], args].concat());
        inside(&["addr", "add", &format!("{inner_ip}/24"), "dev", &inner_link]);
        inside(&["link", "set", &inner_link, "up"]);
        inside(&["link", "set", "lo", "up"]);
        inside(&["route", "add", "default", "via", &host_ip]);
        Self { name, host_ip, inner_ip, host_link }
    }

    /// A script that runs Chromium inside the namespace (for the browser driver's
    /// `executablePath`), written into `dir`.
    pub fn chromium_launcher(&self, dir: &std::path::Path) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("chromium-in-{}.sh", self.name));
        std::fs::write(&path, format!("#!/bin/sh\nexec ip netns exec {} /usr/bin/chromium \"$@\"\n", self.name)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

impl Drop for IsolatedNetwork {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
        let _ = Command::new("ip").args(["link", "del", &self.host_link]).status();
    }
}
